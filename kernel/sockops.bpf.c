// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * sockops.bpf.c: local-hop bypass (sockops + sk_msg) and the sockops half of
 * connect4 interception.
 *
 *   sockops ESTABLISHED (both ends, policy port, loopback peer)
 *       -> sluice_hop_socks[own 4-tuple] = socket
 *   sk_msg on every send of a socket in sluice_hop_socks
 *       -> redirect to the peer's *ingress* (BPF_F_INGRESS) when the peer
 *          (mirror 4-tuple) is in the map, else let TCP carry it
 *   sk_skb verdict: a no-op, attached only so that sockets in the map keep
 *       their epoll readiness on kernels carrying commit 929e30f93125
 *   sockops ACTIVE_ESTABLISHED for a connect4-redirected socket
 *       -> sluice_orig_tuple[client 4-tuple] = sluice_orig_cookie[cookie]
 *   sockops STATE(CLOSE) -> forget both
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sluice.h"
#include "maps.bpf.h"

/* Knob: accelerate only when the peer address is loopback or our own
 * address. A socket whose peer is not in the map pays ~43% throughput for the
 * sk_msg detour (anchors.md), so non-local peers are never inserted. */
const volatile __u32 hop_local_only = 1;

/* own 4-tuple (local first) -> socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SLUICE_HOP_SOCKS_MAX);
	__type(key, struct sluice_tuple);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_hop_socks SEC(".maps");

/* port in host order -> policy; a connection is accelerated when either end's
 * port is here (set by `sluice kernel up --ports` or enableLocalHop()). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_HOP_PORTS_MAX);
	__type(key, __u16);
	__type(value, struct sluice_hop_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_hop_ports SEC(".maps");

/* Context fields must be loaded at constant offsets from the ctx pointer;
 * clang likes to share one "ctx + off" between branches, which the verifier
 * rejects ("dereference of modified ctx ptr"). A volatile load keeps each
 * access a single instruction. */
#define CTX(p, field) (*(volatile __u32 *)&(p)->field)

/* The socket's own 4-tuple; IPv4-mapped IPv6 is folded to IPv4. Ports: local
 * is host order, remote is network order in the upper 16 bits. */
static __always_inline int tuple_of(struct bpf_sock_ops *s, struct sluice_tuple *t)
{
	/* Load every field unconditionally: see CTX above. */
	__u32 family = CTX(s, family);
	__u32 l4 = CTX(s, local_ip4), r4 = CTX(s, remote_ip4);
	__u32 l0 = CTX(s, local_ip6[0]), l1 = CTX(s, local_ip6[1]);
	__u32 l2 = CTX(s, local_ip6[2]), l3 = CTX(s, local_ip6[3]);
	__u32 r0 = CTX(s, remote_ip6[0]), r1 = CTX(s, remote_ip6[1]);
	__u32 r2 = CTX(s, remote_ip6[2]), r3 = CTX(s, remote_ip6[3]);
	__u32 lport = CTX(s, local_port), rport = CTX(s, remote_port);

	if (family == AF_INET6) {
		if (l0 || l1 || r0 || r1 || l2 != bpf_htonl(0xffff) || r2 != bpf_htonl(0xffff))
			return -1;
		l4 = l3;
		r4 = r3;
	} else if (family != AF_INET) {
		return -1;
	}
	t->local_ip4_be = l4;
	t->remote_ip4_be = r4;
	t->local_port_be = bpf_htons((__u16)lport);
	t->remote_port_be = (__u16)(rport >> 16);
	return 0;
}

static __always_inline int is_local_peer(const struct sluice_tuple *t)
{
	if ((bpf_ntohl(t->remote_ip4_be) >> 24) == 127)
		return 1;
	return t->remote_ip4_be == t->local_ip4_be;
}

static __always_inline void hop_add(struct bpf_sock_ops *skops, struct sluice_tuple *t)
{
	__u16 lport = bpf_ntohs(t->local_port_be);
	__u16 rport = bpf_ntohs(t->remote_port_be);

	if (!bpf_map_lookup_elem(&sluice_hop_ports, &lport) &&
	    !bpf_map_lookup_elem(&sluice_hop_ports, &rport))
		return;
	if (hop_local_only && !is_local_peer(t))
		return;
	if (bpf_sock_hash_update(skops, &sluice_hop_socks, t, BPF_NOEXIST) == 0)
		ctr_add(SLUICE_CTR_HOP_SOCK_ADDED, 1);
	else
		ctr_add(SLUICE_CTR_HOP_SOCK_ADD_FAILED, 1);
}

/* A connect4-redirected client: carry cookie -> original over to its
 * 4-tuple, which the proxy can compute from its accepted socket. */
static __always_inline void orig_carry(struct bpf_sock_ops *skops, struct sluice_tuple *t)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct sluice_orig *orig = bpf_map_lookup_elem(&sluice_orig_cookie, &cookie);

	if (!orig || orig->mode != SLUICE_MODE_L7)
		return;
	if (bpf_map_update_elem(&sluice_orig_tuple, t, orig, BPF_ANY) == 0)
		ctr_add(SLUICE_CTR_ORIG_CARRIED, 1);
}

static __always_inline void orig_forget(struct bpf_sock_ops *skops)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct sluice_tuple t = {};

	bpf_map_delete_elem(&sluice_orig_cookie, &cookie);
	if (tuple_of(skops, &t) == 0)
		bpf_map_delete_elem(&sluice_orig_tuple, &t);
}

SEC("sockops")
int sluice_sockops(struct bpf_sock_ops *skops)
{
	struct sluice_tuple t = {};
	__u64 cookie;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		/* Ask for STATE_CB on redirected sockets so their entries are
		 * dropped at close, including when the connect fails. */
		cookie = bpf_get_socket_cookie(skops);
		if (bpf_map_lookup_elem(&sluice_orig_cookie, &cookie))
			bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
							 BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		if (tuple_of(skops, &t))
			break;
		orig_carry(skops, &t);
		hop_add(skops, &t);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		if (tuple_of(skops, &t))
			break;
		hop_add(skops, &t);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE)
			orig_forget(skops);
		break;
	}
	return 1;
}

SEC("sk_msg")
int sluice_hop_msg(struct sk_msg_md *msg)
{
	struct sluice_tuple peer = {};
	__u32 family = CTX(msg, family);
	__u32 l4 = CTX(msg, local_ip4), r4 = CTX(msg, remote_ip4);
	__u32 l0 = CTX(msg, local_ip6[0]), l1 = CTX(msg, local_ip6[1]);
	__u32 l2 = CTX(msg, local_ip6[2]), l3 = CTX(msg, local_ip6[3]);
	__u32 r0 = CTX(msg, remote_ip6[0]), r1 = CTX(msg, remote_ip6[1]);
	__u32 r2 = CTX(msg, remote_ip6[2]), r3 = CTX(msg, remote_ip6[3]);
	__u32 lport = CTX(msg, local_port), rport = CTX(msg, remote_port);

	if (family == AF_INET6) {
		if (l0 || l1 || r0 || r1 || l2 != bpf_htonl(0xffff) || r2 != bpf_htonl(0xffff))
			return SK_PASS;
		l4 = l3;
		r4 = r3;
	} else if (family != AF_INET) {
		return SK_PASS;
	}
	/* The peer's own view is our mirror image. */
	peer.local_ip4_be = r4;
	peer.remote_ip4_be = l4;
	peer.local_port_be = (__u16)(rport >> 16);
	peer.remote_port_be = bpf_htons((__u16)lport);

	/* bpf_msg_redirect_hash() answers SK_DROP when the peer is missing and
	 * leaves msg->sk_redir unset; returning SK_PASS then sends the bytes the
	 * ordinary way (sk_psock_map_verd: PASS without sk_redir = pass). */
	if (bpf_msg_redirect_hash(msg, &sluice_hop_socks, &peer, BPF_F_INGRESS) == SK_PASS) {
		ctr_add(SLUICE_CTR_HOP_MSG_REDIRECTED, 1);
		ctr_add(SLUICE_CTR_HOP_BYTES, msg->size);
	} else {
		ctr_add(SLUICE_CTR_HOP_MSG_PASSED, 1);
	}
	return SK_PASS;
}

/* No-op verdict: keeps epoll readiness for sockets in sluice_hop_socks on
 * kernels with commit 929e30f93125 (sk_msg without a verdict program stalls
 * libuv). */
/* libbpf 1.1 has no "sk_skb/verdict" section: the loader attaches it as
 * BPF_SK_SKB_VERDICT (no strparser) itself. */
SEC("sk_skb")
int sluice_hop_verdict(struct __sk_buff *skb)
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
