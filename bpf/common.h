/*
 * Shared layout of the Patronus classifier maps. The agent (agent/bpf/layout.ts) writes
 * these structs byte for byte through bpftool, so every field here is mirrored there:
 * change both together. All multi-byte fields are host order (x86-64: little endian)
 * unless the name says _be.
 */
#ifndef PATRONUS_COMMON_H
#define PATRONUS_COMMON_H

#include <linux/types.h>

#define PT_MAX_CLASSES 16      /* class ids 0..15, marks classMarkBase + id */
#define PT_MAX_POLICIES 64     /* one bit per policy in a __u64 mask */
#define PT_MAX_APPS 256        /* application ids; 0 = none */
#define PT_MAX_PORT_RULES 64
#define PT_LB_BUCKETS 64       /* ECMP buckets per class */
#define PT_NAME_LEN 64         /* SNI / Host suffix bytes kept (the tail of a name) */
#define PT_UNCLASSIFIED 0xffff

/* Flow key: a 5-tuple, IPv4 addresses in src[0]/dst[0] (network order). */
struct pt_flow_key {
	__u8 family;   /* 4 or 6 */
	__u8 proto;
	__u16 sport;   /* host order */
	__u16 dport;
	__u16 pad;
	__u32 src[4];
	__u32 dst[4];
};

#define PT_FLOW_DPI_DONE 1

struct pt_flow {
	__u64 packets;
	__u64 bytes;
	__u64 first_seen_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 last_seen_ns;
	__u32 mark;          /* 0 = leave skb->mark alone */
	__u32 generation;    /* config generation the class was computed under */
	__u16 class_id;      /* PT_UNCLASSIFIED when no policy matched */
	__u16 app_id;
	__u8 flags;
	__u8 inspected;      /* payload packets looked at */
	__u8 dscp;           /* 0xff = no rewrite */
	__u8 pad;
};

/* Builtin detectors: app id for each (0 = detector off). */
struct pt_config {
	__u32 generation;
	__u32 class_mark_base;
	__u16 tls_app;
	__u16 http_app;
	__u16 ssh_app;
	__u16 dns_app;
	__u16 sip_app;
	__u16 rtp_app;
	__u16 rtp_port_lo;
	__u16 rtp_port_hi;
	__u8 inspect_packets; /* payload packets inspected per flow before giving up */
	__u8 pad[7];
	/* Bit-vector classification (one bit per policy, lowest set bit = highest priority):
	 * the masks a dimension contributes when nothing in its table matched. */
	__u64 port_wild;
	__u64 src_wild;
	__u64 dst_wild;
	__u64 app_wild;
	__u64 proto_mask[4];  /* tcp, udp, icmp, other: already OR-ed with the wildcard */
	__u16 policy_class[PT_MAX_POLICIES];
};

struct pt_port_rule {
	__u16 lo;
	__u16 hi;
	__u32 pad;
	__u64 mask;  /* policies whose ports include [lo, hi] (either port of the flow) */
};

struct pt_class {
	__u32 mark;      /* mark for the class table; ignored when lb_mode != 0 */
	__u8 dscp;       /* 0xff = no rewrite, else the DSCP (0..63) to write */
	__u8 lb_mode;    /* 0 none, 1 per flow, 2 per packet */
	__u8 pad[2];
};

struct pt_lpm4 {
	__u32 prefixlen; /* 8 (the direction byte) + prefix length */
	__u8 dir;        /* 0 source, 1 destination */
	__u8 addr[4];
};

struct pt_lpm6 {
	__u32 prefixlen;
	__u8 dir;
	__u8 addr[16];
};

/* Names are stored reversed with a leading dot: "backup.example" is kept as
 * "elpmaxe.pukcab." so that an LPM lookup is a DNS-label-aligned suffix match. */
struct pt_name_key {
	__u32 prefixlen;
	__u8 name[PT_NAME_LEN];
};

struct pt_counter {
	__u64 packets;
	__u64 bytes;
};

/* Indices of the per-CPU stats array. */
enum pt_stat {
	PT_STAT_PACKETS = 0,
	PT_STAT_NON_IP,       /* not IPv4/IPv6: passed, not classified */
	PT_STAT_MALFORMED,    /* bad version / header length: passed */
	PT_STAT_TRUNCATED,    /* headers cut short: passed */
	PT_STAT_FRAGMENTS,    /* non-first fragments: passed unclassified */
	PT_STAT_OTHER_L4,     /* not TCP/UDP (ICMP, ESP...): classified on L3 only */
	PT_STAT_NEW_FLOWS,
	PT_STAT_DPI_HITS,
	PT_STAT_RECLASSIFIED, /* flows re-evaluated after a reconfig */
	PT_STAT_MAX,
};

#define PT_CLASS_COUNTERS (PT_MAX_CLASSES + 1) /* last slot: unclassified */

#endif
