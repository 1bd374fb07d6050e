// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * connect4.bpf.c: interception and L4 balancing at connect().
 *
 *   connect(VIP:port) of a TCP socket in the cgroup, VIP:port in sluice_services
 *     L4 -> rewrite to a backend chosen here (random or by socket cookie)
 *     L7 -> rewrite to the local Sluice listener
 *     both -> sluice_orig_cookie[cookie] = VIP:port (sockops carries L7 ones
 *             to the 4-tuple so the proxy can find them)
 *   getpeername() of such a socket -> VIP:port, not the rewritten address
 * connect6/getpeername6 do the same for IPv4-mapped IPv6 (::ffff:a.b.c.d).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sluice.h"
#include "maps.bpf.h"

/* VIP:port -> mode and targets (written by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_SERVICES_MAX);
	__type(key, struct sluice_service_key);
	__type(value, struct sluice_service);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_services SEC(".maps");

/* Chooses the new destination; 0 = leave the connect() alone. */
static __always_inline int rewrite(struct bpf_sock_addr *ctx, __u32 vip4_be, __u16 port_be,
				   struct sluice_endpoint *to)
{
	struct sluice_service_key key = { .vip4_be = vip4_be, .port_be = port_be };
	struct sluice_service *svc = bpf_map_lookup_elem(&sluice_services, &key);
	struct sluice_orig orig = { .ip4_be = vip4_be, .port_be = port_be };
	__u64 cookie;
	__u32 n, i;

	if (!svc)
		return 0;
	cookie = bpf_get_socket_cookie(ctx);
	if (svc->mode == SLUICE_MODE_L7) {
		to->ip4_be = svc->proxy.ip4_be;
		to->port_be = svc->proxy.port_be;
		ctr_add(SLUICE_CTR_CONNECT_L7, 1);
	} else if (svc->mode == SLUICE_MODE_L4) {
		n = svc->count;
		if (n == 0 || n > SLUICE_MAX_BACKENDS) {
			ctr_add(SLUICE_CTR_CONNECT_NO_BACKEND, 1);
			return 0;
		}
		i = (svc->pick == SLUICE_PICK_COOKIE ? (__u32)cookie : bpf_get_prandom_u32()) % n;
		i &= SLUICE_MAX_BACKENDS - 1;
		to->ip4_be = svc->backends[i].ip4_be;
		to->port_be = svc->backends[i].port_be;
		ctr_add(SLUICE_CTR_CONNECT_L4, 1);
	} else {
		return 0;
	}
	orig.mode = svc->mode;
	bpf_map_update_elem(&sluice_orig_cookie, &cookie, &orig, BPF_ANY);
	return 1;
}

SEC("cgroup/connect4")
int sluice_connect4(struct bpf_sock_addr *ctx)
{
	struct sluice_endpoint to = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	/* user_port: network order in the low 16 bits. */
	if (rewrite(ctx, ctx->user_ip4, (__u16)ctx->user_port, &to)) {
		ctx->user_ip4 = to.ip4_be;
		ctx->user_port = to.port_be;
	}
	return 1;
}

SEC("cgroup/connect6")
int sluice_connect6(struct bpf_sock_addr *ctx)
{
	struct sluice_endpoint to = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	if (ctx->user_ip6[0] || ctx->user_ip6[1] || ctx->user_ip6[2] != bpf_htonl(0xffff))
		return 1;
	if (rewrite(ctx, ctx->user_ip6[3], (__u16)ctx->user_port, &to)) {
		ctx->user_ip6[3] = to.ip4_be;
		ctx->user_port = to.port_be;
	}
	return 1;
}

SEC("cgroup/getpeername4")
int sluice_getpeername4(struct bpf_sock_addr *ctx)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct sluice_orig *orig = bpf_map_lookup_elem(&sluice_orig_cookie, &cookie);

	if (orig) {
		ctx->user_ip4 = orig->ip4_be;
		ctx->user_port = orig->port_be;
		ctr_add(SLUICE_CTR_GETPEERNAME, 1);
	}
	return 1;
}

SEC("cgroup/getpeername6")
int sluice_getpeername6(struct bpf_sock_addr *ctx)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct sluice_orig *orig = bpf_map_lookup_elem(&sluice_orig_cookie, &cookie);

	if (orig) {
		ctx->user_ip6[3] = orig->ip4_be;
		ctx->user_port = orig->port_be;
		ctr_add(SLUICE_CTR_GETPEERNAME, 1);
	}
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
