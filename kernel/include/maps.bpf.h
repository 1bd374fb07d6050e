/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * maps.bpf.h: the maps that more than one object uses. Kernel side only
 * (BTF-style definitions); layouts are in sluice.h. Each is pinned by name
 * under the pin directory given at open time, so the second object to load
 * reuses the first one's map instead of making its own.
 */
#ifndef SLUICE_MAPS_BPF_H
#define SLUICE_MAPS_BPF_H

#include "sluice.h"

/* socket cookie of a connect()ing client -> where it meant to go. Written by
 * connect4/connect6, read by getpeername and by sockops (which carries it to
 * sluice_orig_tuple), deleted by sockops when the socket closes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLUICE_ORIG_MAX);
	__type(key, __u64);
	__type(value, struct sluice_orig);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_orig_cookie SEC(".maps");

/* client-side 4-tuple (local = client) -> original destination, for L7
 * redirects: the proxy looks it up with its accepted socket's mirror image. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLUICE_ORIG_MAX);
	__type(key, struct sluice_tuple);
	__type(value, struct sluice_orig);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_orig_tuple SEC(".maps");

/* SLUICE_CTR_* index -> count, per CPU (user space sums). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_counters SEC(".maps");

static __always_inline void ctr_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&sluice_counters, &idx);

	if (v)
		*v += n;
}

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

#endif /* SLUICE_MAPS_BPF_H */
