/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * sluice.h: the one header shared by every kernel .bpf.c and native .cc file.
 *
 * It holds only what crosses the kernel/user boundary: map names, pin paths,
 * key/value layouts and counter indexes. kernel/gen-layout reads the
 * SLUICE_* defines and the struct layouts below and writes
 * runtime/offload/layout.gen.ts; test/kernel/layout.test.ts fails when that
 * file is stale.
 *
 * Conventions:
 * - fixed-width fields only; the byte order is in the name (`_be` = network
 *   order, `_h` = host order); every hole is an explicit `pad` field;
 * - IPv4 addresses only: IPv4-mapped IPv6 sockets (::ffff:a.b.c.d) are folded
 *   to their IPv4 address by the programs, native IPv6 is left alone.
 */
#ifndef SLUICE_H
#define SLUICE_H

#ifdef __BPF__
/* vmlinux.h (generated at build time) already defines __u8 .. __u64. */
#else
#include <linux/types.h>
#endif
#if defined(__cplusplus) && !defined(_Static_assert)
#define _Static_assert static_assert
#endif

/* ---- pin paths ------------------------------------------------------- */
/* Default bpffs directory; `sluice kernel up --pin-dir` and SLUICE_BPF_DIR
 * override it (tests use a directory of their own). */
#define SLUICE_PIN_DIR "/sys/fs/bpf/sluice"
/* Pinned cgroup links live in <pin dir>/links/<program name>. */
#define SLUICE_LINK_SUBDIR "links"

/* ---- map names (also their pin file names) --------------------------- */
#define SLUICE_MAP_HOP_SOCKS "sluice_hop_socks"     /* SOCKHASH tuple -> socket */
#define SLUICE_MAP_HOP_PORTS "sluice_hop_ports"     /* HASH port_h -> policy */
#define SLUICE_MAP_SERVICES "sluice_services"       /* HASH service key -> service */
#define SLUICE_MAP_ORIG_COOKIE "sluice_orig_cookie" /* LRU cookie -> original dst */
#define SLUICE_MAP_ORIG_TUPLE "sluice_orig_tuple"   /* LRU tuple -> original dst */
#define SLUICE_MAP_COUNTERS "sluice_counters"       /* PERCPU_ARRAY index -> u64 */

#define SLUICE_HOP_SOCKS_MAX 65536
#define SLUICE_HOP_PORTS_MAX 1024
#define SLUICE_SERVICES_MAX 4096
#define SLUICE_ORIG_MAX 65536

/* ---- program names (pinned link names) ------------------------------- */
#define SLUICE_PROG_SOCKOPS "sluice_sockops"
#define SLUICE_PROG_HOP_MSG "sluice_hop_msg"
#define SLUICE_PROG_HOP_VERDICT "sluice_hop_verdict"
#define SLUICE_PROG_CONNECT4 "sluice_connect4"
#define SLUICE_PROG_CONNECT6 "sluice_connect6"
#define SLUICE_PROG_GETPEERNAME4 "sluice_getpeername4"
#define SLUICE_PROG_GETPEERNAME6 "sluice_getpeername6"

/* ---- objects ----------------------------------------------------------- */
#define SLUICE_OBJ_SOCKOPS "sockops.bpf.o"
#define SLUICE_OBJ_CONNECT4 "connect4.bpf.o"

/* ---- counters (indexes into sluice_counters) ---------------------------- */
#define SLUICE_CTR_HOP_SOCK_ADDED 0     /* sockets put into sluice_hop_socks */
#define SLUICE_CTR_HOP_SOCK_ADD_FAILED 1
#define SLUICE_CTR_HOP_MSG_REDIRECTED 2 /* sk_msg sends redirected to the peer */
#define SLUICE_CTR_HOP_BYTES 3          /* bytes in those sends */
#define SLUICE_CTR_HOP_MSG_PASSED 4     /* sends whose peer was not in the map */
#define SLUICE_CTR_CONNECT_L4 5         /* connect() rewritten to a backend */
#define SLUICE_CTR_CONNECT_L7 6         /* connect() rewritten to the proxy */
#define SLUICE_CTR_CONNECT_NO_BACKEND 7 /* L4 service with no backend: left alone */
#define SLUICE_CTR_ORIG_CARRIED 8       /* cookie -> tuple hand-overs in sockops */
#define SLUICE_CTR_GETPEERNAME 9        /* getpeername() answers rewritten to the VIP */
#define SLUICE_CTR_MAX 10

/* ---- values ------------------------------------------------------------- */
#define SLUICE_MODE_L4 1 /* rewrite to a backend chosen in the kernel */
#define SLUICE_MODE_L7 2 /* rewrite to the local proxy, remember the original */

#define SLUICE_PICK_RANDOM 0 /* backend = prandom % count */
#define SLUICE_PICK_COOKIE 1 /* backend = socket cookie % count (sticky per socket) */

#define SLUICE_HOP_ENABLED 1

#define SLUICE_MAX_BACKENDS 8

/* A TCP 4-tuple as seen from one socket: local side first. The sockops
 * program keys sluice_hop_socks with the socket's own view; sk_msg looks the
 * peer up with the mirror image (local <-> remote). */
struct sluice_tuple {
	__u32 local_ip4_be;
	__u32 remote_ip4_be;
	__u16 local_port_be;
	__u16 remote_port_be;
};
_Static_assert(sizeof(struct sluice_tuple) == 12, "sluice_tuple layout");

/* sluice_hop_ports value; key is the port in host order (__u16 port_h). */
struct sluice_hop_policy {
	__u32 flags; /* SLUICE_HOP_ENABLED */
};
_Static_assert(sizeof(struct sluice_hop_policy) == 4, "sluice_hop_policy layout");

/* sluice_services key: the virtual address a client connects to. */
struct sluice_service_key {
	__u32 vip4_be;
	__u16 port_be;
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_service_key) == 8, "sluice_service_key layout");

struct sluice_endpoint {
	__u32 ip4_be;
	__u16 port_be;
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_endpoint) == 8, "sluice_endpoint layout");

struct sluice_service {
	__u8 mode;   /* SLUICE_MODE_L4 | SLUICE_MODE_L7 */
	__u8 pick;   /* SLUICE_PICK_* (L4 only) */
	__u8 count;  /* backends in use, <= SLUICE_MAX_BACKENDS (L4 only) */
	__u8 pad;
	struct sluice_endpoint proxy; /* L7: the local Sluice listener */
	struct sluice_endpoint backends[SLUICE_MAX_BACKENDS];
};
_Static_assert(sizeof(struct sluice_service) == 76, "sluice_service layout");

/* sluice_orig_cookie / sluice_orig_tuple value: where the client meant to go. */
struct sluice_orig {
	__u32 ip4_be;
	__u16 port_be;
	__u8 mode; /* SLUICE_MODE_* that rewrote it */
	__u8 pad;
};
_Static_assert(sizeof(struct sluice_orig) == 8, "sluice_orig layout");

#endif /* SLUICE_H */
