// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Patronus LAN classifier: a tc (clsact) ingress program on a site's LAN-facing interface.
 * It keeps a flow table, decides each flow's traffic class once (from L3/L4 rules and from
 * payload signatures on the flow's first packets), and marks every packet of the flow with
 * the class mark so that `ip rule fwmark` sends it to the class's routing table. It never
 * drops: anything it does not understand passes untouched and is counted.
 *
 * Classification is bit-vector (Lakshman & Stiliadis): every dimension (application,
 * protocol, ports, DSCP, source and destination prefix) yields the set of policies it
 * admits, the AND of the sets is the set of matching policies, the lowest bit (the
 * highest-priority policy) wins. The agent compiles policies into these tables.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pt_flow_key);
	__type(value, struct pt_flow);
} pt_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_config);
} pt_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_PORT_RULES);
	__type(key, __u32);
	__type(value, struct pt_port_rule);
} pt_ports SEC(".maps");

/* DSCP value -> policy mask (wildcard already OR-ed in). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} pt_dscp SEC(".maps");

/* Application id -> policy mask (wildcard already OR-ed in). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_APPS);
	__type(key, __u32);
	__type(value, __u64);
} pt_apps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_CLASSES);
	__type(key, __u32);
	__type(value, struct pt_class);
} pt_classes SEC(".maps");

/* ECMP: class * PT_LB_BUCKETS + bucket -> path mark. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PT_MAX_CLASSES * PT_LB_BUCKETS);
	__type(key, __u32);
	__type(value, __u32);
} pt_lb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pt_lpm4);
	__type(value, __u64);
} pt_pfx4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pt_lpm6);
	__type(value, __u64);
} pt_pfx6 SEC(".maps");

/* Reversed name suffix (SNI, HTTP Host) -> application id. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pt_name_key);
	__type(value, __u32);
} pt_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} pt_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_CLASS_COUNTERS);
	__type(key, __u32);
	__type(value, struct pt_counter);
} pt_class_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_MAX_APPS);
	__type(key, __u32);
	__type(value, struct pt_counter);
} pt_app_stats SEC(".maps");

/* Scratch space for payload inspection (too big for the 512-byte stack). */
#define PT_SCAN 256
struct pt_scratch {
	__u8 buf[PT_SCAN];
	struct pt_name_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_scratch);
} pt_scratch SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&pt_stats, &idx);
	if (v)
		*v += 1;
}

static __always_inline void counter_add(void *map, __u32 idx, __u32 len)
{
	struct pt_counter *c = bpf_map_lookup_elem(map, &idx);
	if (c) {
		c->packets += 1;
		c->bytes += len;
	}
}

static __always_inline __u8 lower(__u8 c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/*
 * The payload helpers below are global functions on purpose: the verifier checks a global
 * function once, with unknown arguments, instead of once per call site and constant, which
 * keeps the whole program far below the 1M-instruction verification budget.
 */

static __always_inline struct pt_scratch *scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&pt_scratch, &zero);
}

static __always_inline struct pt_config *config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&pt_config, &zero);
}

/* Looks up the name held in scratch buf[start, start+len) in pt_names; the app id or 0. */
__noinline __u32 pt_match_name(__u32 start, __u32 len)
{
	struct pt_scratch *s = scratch();
	__u32 n, i, truncated = 0;

	if (!s || len == 0 || len > PT_SCAN || start >= PT_SCAN)
		return 0;
	n = len;
	if (n > PT_NAME_LEN - 1) {
		/* Keep the tail: a suffix match only needs the end of the name. */
		start += n - (PT_NAME_LEN - 1);
		n = PT_NAME_LEN - 1;
		truncated = 1;
	}
	for (i = 0; i < PT_NAME_LEN - 1; i++) {
		__u32 src;
		if (i >= n)
			break;
		src = (start + n - 1 - i) & (PT_SCAN - 1);
		s->key.name[i & (PT_NAME_LEN - 1)] = lower(s->buf[src]);
	}
	if (!truncated) {
		__u32 at = n;
		/* Keep the mask: clang would drop it and the verifier needs the bound. */
		asm volatile("%0 &= 63" : "+r"(at));
		s->key.name[at] = '.';
		n += 1;
	}
	s->key.prefixlen = n * 8;
	__u32 *app = bpf_map_lookup_elem(&pt_names, &s->key);
	return app ? *app : 0;
}

/* TLS ClientHello (RFC 8446 4.1.2) -> server_name extension (RFC 6066 3). */
__noinline __u32 pt_dpi_tls(struct __sk_buff *skb, __u32 off)
{
	struct pt_scratch *s = scratch();
	struct pt_config *cfg = config();
	__u8 h[6];
	__u8 b1;
	__u16 b2;
	__u32 p, end, i;

	if (!s || !cfg || bpf_skb_load_bytes(skb, off, h, 6) < 0)
		return 0;
	if (h[0] != 0x16 || h[1] != 3 || h[5] != 1)
		return 0;
	p = off + 5 + 4 + 2 + 32;
	if (bpf_skb_load_bytes(skb, p, &b1, 1) < 0)
		return cfg->tls_app;
	p += 1 + b1;
	if (bpf_skb_load_bytes(skb, p, &b2, 2) < 0)
		return cfg->tls_app;
	p += 2 + bpf_ntohs(b2);
	if (bpf_skb_load_bytes(skb, p, &b1, 1) < 0)
		return cfg->tls_app;
	p += 1 + b1;
	if (bpf_skb_load_bytes(skb, p, &b2, 2) < 0)
		return cfg->tls_app;
	p += 2;
	end = p + bpf_ntohs(b2);
	for (i = 0; i < 32; i++) {
		__u16 ext[2];
		__u32 elen;
		if (p + 4 > end)
			break;
		if (bpf_skb_load_bytes(skb, p, ext, 4) < 0)
			break;
		elen = bpf_ntohs(ext[1]);
		if (ext[0] == 0) {
			/* server_name_list len(2), name_type(1), host_name len(2), host_name */
			__u8 sn[5];
			__u32 nlen;
			if (bpf_skb_load_bytes(skb, p + 4, sn, 5) < 0 || sn[2] != 0)
				break;
			nlen = ((__u32)sn[3] << 8) | sn[4];
			if (nlen == 0 || nlen > 255)
				break;
			/* Load the tail of the name into the scratch buffer. */
			__u32 keep = nlen > PT_NAME_LEN - 1 ? PT_NAME_LEN - 1 : nlen;
			__u32 from = p + 9 + nlen - keep;
			keep &= PT_NAME_LEN - 1;
			if (keep == 0)
				break;
			if (bpf_skb_load_bytes(skb, from, s->buf, keep) < 0)
				break;
			__u32 app = pt_match_name(0, keep);
			return app ? app : cfg->tls_app;
		}
		p += 4 + elen;
	}
	return cfg->tls_app;
}

static __always_inline int is_method(const __u8 *b)
{
	/* GET, POST, PUT, HEAD, DELETE, OPTIONS, PATCH, CONNECT (RFC 9110 9.3) */
	__u32 w = (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 | (__u32)b[3] << 24;
	return w == 0x20544547 /* "GET " */ || w == 0x54534f50 /* POST */ ||
	       w == 0x20545550 /* "PUT " */ || w == 0x44414548 /* HEAD */ ||
	       w == 0x454c4544 /* DELE */ || w == 0x4954504f /* OPTI */ ||
	       w == 0x43544150 /* PATC */ || w == 0x4e4e4f43 /* CONN */;
}

/* The Host header's value starts at buf[start]; buf holds n bytes. The app id or 0. */
__noinline __u32 pt_http_host(__u32 start, __u32 n)
{
	struct pt_scratch *s = scratch();
	__u32 i, end = 0;

	if (!s || start >= PT_SCAN || n > PT_SCAN)
		return 0;
	for (i = 0; i < 8; i++) { /* optional whitespace */
		if (start >= n || s->buf[start & (PT_SCAN - 1)] != ' ')
			break;
		start++;
	}
	for (i = 0; i < PT_SCAN; i++) {
		__u32 j = start + i;
		__u8 c;
		if (j >= n)
			break;
		c = s->buf[j & (PT_SCAN - 1)];
		if (c == '\r' || c == '\n' || c == ':' || c == ' ')
			break;
		end = j + 1;
	}
	if (end <= start)
		return 0;
	return pt_match_name(start, end - start);
}

/* HTTP/1 request: the Host header (RFC 9112 3.2). */
__noinline __u32 pt_dpi_http(struct __sk_buff *skb, __u32 off, __u32 plen)
{
	struct pt_scratch *s = scratch();
	struct pt_config *cfg = config();
	__u32 n = plen > PT_SCAN - 1 ? PT_SCAN - 1 : plen;
	__u32 i, start = 0;

	if (!s || !cfg || n < 16)
		return 0;
	if (bpf_skb_load_bytes(skb, off, s->buf, 4) < 0 || !is_method(s->buf))
		return 0;
	/* Re-read through a volatile so clang keeps both bounds checks for the verifier. */
	volatile __u32 vn = n;
	n = vn & (PT_SCAN - 1);
	if (n < 16 || bpf_skb_load_bytes(skb, off, s->buf, n) < 0)
		return cfg->http_app;
	for (i = 0; i < PT_SCAN - 6; i++) {
		if (i + 6 > n)
			break;
		if (s->buf[i] == '\n' && lower(s->buf[(i + 1) & 255]) == 'h' &&
		    lower(s->buf[(i + 2) & 255]) == 'o' && lower(s->buf[(i + 3) & 255]) == 's' &&
		    lower(s->buf[(i + 4) & 255]) == 't' && s->buf[(i + 5) & 255] == ':') {
			start = i + 6;
			break;
		}
	}
	if (!start)
		return cfg->http_app;
	__u32 app = pt_http_host(start, n);
	return app ? app : cfg->http_app;
}

static __always_inline int is_sip(const __u8 *b)
{
	/* RFC 3261 7.1 / 7.2: a method or "SIP/2.0" starts the message. */
	__u32 w = (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 | (__u32)b[3] << 24;
	return w == 0x49564e49 /* INVI */ || w == 0x49474552 /* REGI */ ||
	       w == 0x4954504f /* OPTI */ || w == 0x204b4341 /* "ACK " */ ||
	       w == 0x20455942 /* "BYE " */ || w == 0x434e4143 /* CANC */ ||
	       w == 0x53425553 /* SUBS */ || w == 0x49544f4e /* NOTI */ ||
	       w == 0x2f504953 /* "SIP/" */;
}

/* Payload signatures on one packet of a still-undecided flow; returns an app id or 0. */
__noinline __u32 pt_dpi(struct __sk_buff *skb, __u32 proto, __u32 dport, __u32 off, __u32 plen)
{
	struct pt_config *cfg = config();
	__u8 h[12];
	__u32 app;

	if (!cfg || plen < 4)
		return 0;
	if (bpf_skb_load_bytes(skb, off, h, 4) < 0)
		return 0;
	if (proto == IPPROTO_TCP) {
		if (h[0] == 0x16 && h[1] == 3) {
			app = pt_dpi_tls(skb, off);
			if (app)
				return app;
		}
		if (h[0] == 'S' && h[1] == 'S' && h[2] == 'H' && h[3] == '-')
			return cfg->ssh_app;
		app = pt_dpi_http(skb, off, plen);
		if (app)
			return app;
		if (is_sip(h))
			return cfg->sip_app;
		return 0;
	}
	/* UDP */
	if (is_sip(h))
		return cfg->sip_app;
	if (plen >= 12 && cfg->rtp_app && bpf_skb_load_bytes(skb, off, h, 12) == 0) {
		__u8 pt = h[1] & 0x7f;
		__u32 port = dport;
		/* RTP (RFC 3550 5.1): version 2, not RTCP (PT 72-76 with the marker bit, 200-204),
		 * to an even port in the configured range. */
		if ((h[0] >> 6) == 2 && !(pt >= 72 && pt <= 76) && (port & 1) == 0 &&
		    port >= cfg->rtp_port_lo && port <= cfg->rtp_port_hi)
			return cfg->rtp_app;
	}
	return 0;
}

static __always_inline __u64 lpm_mask(struct pt_flow_key *k, __u8 dir, __u64 wild)
{
	__u64 *m;
	if (k->family == 4) {
		struct pt_lpm4 key = {.prefixlen = 8 + 32, .dir = dir};
		__builtin_memcpy(key.addr, dir ? &k->dst[0] : &k->src[0], 4);
		m = bpf_map_lookup_elem(&pt_pfx4, &key);
	} else {
		struct pt_lpm6 key = {.prefixlen = 8 + 128, .dir = dir};
		__builtin_memcpy(key.addr, dir ? k->dst : k->src, 16);
		m = bpf_map_lookup_elem(&pt_pfx6, &key);
	}
	return m ? *m : wild;
}

/* Which policies admit this flow; the lowest bit wins. */
static __noinline __u64 match_policies(struct pt_flow_key *k, __u32 dscp, __u32 app,
				       const struct pt_config *cfg)
{
	__u64 m;
	__u32 pi = k->proto == IPPROTO_TCP ? 0 : k->proto == IPPROTO_UDP ? 1 :
		   (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) ? 2 : 3;
	__u64 *d;
	__u32 i;

	m = cfg->proto_mask[pi & 3];
	if (!m)
		return 0;
	d = bpf_map_lookup_elem(&pt_dscp, &dscp);
	m &= d ? *d : 0;
	app &= PT_MAX_APPS - 1;
	d = bpf_map_lookup_elem(&pt_apps, &app);
	m &= d ? *d : cfg->app_wild;
	if (!m)
		return 0;
	m &= lpm_mask(k, 0, cfg->src_wild);
	m &= lpm_mask(k, 1, cfg->dst_wild);
	if (!m)
		return 0;
	__u64 ports = cfg->port_wild;
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) {
		for (i = 0; i < PT_MAX_PORT_RULES; i++) {
			__u32 idx = i;
			struct pt_port_rule *r = bpf_map_lookup_elem(&pt_ports, &idx);
			if (!r || r->mask == 0)
				break;
			if ((k->dport >= r->lo && k->dport <= r->hi) ||
			    (k->sport >= r->lo && k->sport <= r->hi))
				ports |= r->mask;
		}
	}
	return m & ports;
}

/* Sets the flow's class, mark and DSCP from the current tables. */
static __always_inline void decide(struct __sk_buff *skb, struct pt_flow_key *k, struct pt_flow *f,
				   __u32 dscp, const struct pt_config *cfg)
{
	__u64 m = match_policies(k, dscp, f->app_id, cfg);
	__u32 cls;

	f->generation = cfg->generation;
	f->mark = 0;
	f->dscp = 0xff;
	f->class_id = PT_UNCLASSIFIED;
	if (!m)
		return;
	/* Lowest set bit (LLVM 14's BPF backend cannot lower cttz). */
	__u32 bit = 0, i;
	for (i = 0; i < PT_MAX_POLICIES; i++) {
		if ((m >> i) & 1) {
			bit = i;
			break;
		}
	}
	cls = cfg->policy_class[bit];
	if (cls >= PT_MAX_CLASSES)
		return;
	struct pt_class *c = bpf_map_lookup_elem(&pt_classes, &cls);
	if (!c)
		return;
	f->class_id = cls;
	f->dscp = c->dscp;
	f->mark = c->mark;
	if (c->lb_mode == 1) {
		__u32 b = cls * PT_LB_BUCKETS + bpf_get_hash_recalc(skb) % PT_LB_BUCKETS;
		__u32 *pm = bpf_map_lookup_elem(&pt_lb, &b);
		if (pm && *pm)
			f->mark = *pm;
	}
}

static __always_inline void rewrite_dscp(struct __sk_buff *skb, __u8 family, __u32 cur, __u8 want)
{
	if (want > 63 || want == cur)
		return;
	if (family == 4) {
		__u8 tos;
		if (bpf_skb_load_bytes(skb, ETH_HLEN + 1, &tos, 1) < 0)
			return;
		__u8 ntos = (want << 2) | (tos & 3);
		/* The TOS byte is the low half of the first 16-bit word of the header. */
		bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), bpf_htons(tos),
				    bpf_htons(ntos), 2);
		bpf_skb_store_bytes(skb, ETH_HLEN + 1, &ntos, 1, 0);
	} else {
		__u8 b[2];
		if (bpf_skb_load_bytes(skb, ETH_HLEN, b, 2) < 0)
			return;
		/* version(4) | traffic class(8) | flow label(20): DSCP is the top 6 TC bits. */
		__u8 tc = (__u8)((b[0] << 4) | (b[1] >> 4));
		tc = (want << 2) | (tc & 3);
		b[0] = (b[0] & 0xf0) | (tc >> 4);
		b[1] = (b[1] & 0x0f) | (tc << 4);
		bpf_skb_store_bytes(skb, ETH_HLEN, b, 2, 0);
	}
}

SEC("tc")
int pt_classify(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct pt_flow_key k = {};
	__u32 l4off, dscp, len = skb->len;
	int first_frag = 1;

	stat_inc(PT_STAT_PACKETS);
	struct pt_config *cfg = bpf_map_lookup_elem(&pt_config, &zero);
	if (!cfg)
		return TC_ACT_OK;

	/* Headers must be linear for direct access; pull them in if the skb is paged. */
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + ETH_HLEN + sizeof(struct ipv6hdr) > data_end &&
	    len >= ETH_HLEN + sizeof(struct iphdr)) {
		bpf_skb_pull_data(skb, len < ETH_HLEN + sizeof(struct ipv6hdr) ?
					       len : ETH_HLEN + sizeof(struct ipv6hdr));
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end) {
		stat_inc(PT_STAT_TRUNCATED);
		return TC_ACT_OK;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end) {
			stat_inc(PT_STAT_TRUNCATED);
			return TC_ACT_OK;
		}
		if (ip->version != 4 || ip->ihl < 5 || bpf_ntohs(ip->tot_len) < ip->ihl * 4) {
			stat_inc(PT_STAT_MALFORMED);
			return TC_ACT_OK;
		}
		if (ETH_HLEN + (__u32)bpf_ntohs(ip->tot_len) > len) {
			stat_inc(PT_STAT_TRUNCATED);
			return TC_ACT_OK;
		}
		k.family = 4;
		k.proto = ip->protocol;
		k.src[0] = ip->saddr;
		k.dst[0] = ip->daddr;
		dscp = ip->tos >> 2;
		l4off = ETH_HLEN + ip->ihl * 4;
		if (ip->frag_off & bpf_htons(0x1fff)) {
			stat_inc(PT_STAT_FRAGMENTS);
			return TC_ACT_OK;
		}
		/* Trim the Ethernet trailer padding from what the payload length counts. */
		len = ETH_HLEN + bpf_ntohs(ip->tot_len);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		__u8 nh;
		__u32 i;
		if ((void *)(ip6 + 1) > data_end) {
			stat_inc(PT_STAT_TRUNCATED);
			return TC_ACT_OK;
		}
		if (ip6->version != 6) {
			stat_inc(PT_STAT_MALFORMED);
			return TC_ACT_OK;
		}
		if (ETH_HLEN + sizeof(*ip6) + (__u32)bpf_ntohs(ip6->payload_len) > len) {
			stat_inc(PT_STAT_TRUNCATED);
			return TC_ACT_OK;
		}
		k.family = 6;
		__builtin_memcpy(k.src, &ip6->saddr, 16);
		__builtin_memcpy(k.dst, &ip6->daddr, 16);
		dscp = ((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
		nh = ip6->nexthdr;
		l4off = ETH_HLEN + sizeof(*ip6);
		len = ETH_HLEN + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		/* Skip simple extension headers (RFC 8200 4): hop-by-hop, routing, fragment,
		 * destination options. Anything else (ESP, AH...) ends the walk. */
		for (i = 0; i < 6; i++) {
			__u8 eh[2];
			if (nh != 0 && nh != 43 && nh != 44 && nh != 60)
				break;
			if (bpf_skb_load_bytes(skb, l4off, eh, 2) < 0) {
				stat_inc(PT_STAT_TRUNCATED);
				return TC_ACT_OK;
			}
			if (nh == 44) {
				__u16 fo;
				if (bpf_skb_load_bytes(skb, l4off + 2, &fo, 2) < 0) {
					stat_inc(PT_STAT_TRUNCATED);
					return TC_ACT_OK;
				}
				if (bpf_ntohs(fo) & 0xfff8)
					first_frag = 0;
				l4off += 8;
			} else {
				l4off += (eh[1] + 1) * 8;
			}
			nh = eh[0];
		}
		if (!first_frag) {
			stat_inc(PT_STAT_FRAGMENTS);
			return TC_ACT_OK;
		}
		k.proto = nh;
	} else {
		stat_inc(PT_STAT_NON_IP);
		return TC_ACT_OK;
	}

	__u32 payload_off = 0, plen = 0;
	if (k.proto == IPPROTO_TCP) {
		__u8 th[14];
		if (bpf_skb_load_bytes(skb, l4off, th, 14) < 0) {
			stat_inc(PT_STAT_TRUNCATED);
			return TC_ACT_OK;
		}
		__u32 doff = (th[12] >> 4) * 4;
		if (doff < 20) {
			stat_inc(PT_STAT_MALFORMED);
			return TC_ACT_OK;
		}
		k.sport = ((__u16)th[0] << 8) | th[1];
		k.dport = ((__u16)th[2] << 8) | th[3];
		payload_off = l4off + doff;
	} else if (k.proto == IPPROTO_UDP) {
		__u8 uh[8];
		if (bpf_skb_load_bytes(skb, l4off, uh, 8) < 0) {
			stat_inc(PT_STAT_TRUNCATED);
			return TC_ACT_OK;
		}
		k.sport = ((__u16)uh[0] << 8) | uh[1];
		k.dport = ((__u16)uh[2] << 8) | uh[3];
		payload_off = l4off + 8;
	} else {
		stat_inc(PT_STAT_OTHER_L4);
	}
	if (payload_off && payload_off < len)
		plen = len - payload_off;
	else if (payload_off > len) {
		stat_inc(PT_STAT_TRUNCATED);
		return TC_ACT_OK;
	}

	__u64 now = bpf_ktime_get_ns();
	struct pt_flow *f = bpf_map_lookup_elem(&pt_flows, &k);
	if (!f) {
		struct pt_flow nf = {.first_seen_ns = now, .class_id = PT_UNCLASSIFIED, .dscp = 0xff};
		/* DNS (RFC 1035 4.2) is known from the port alone. */
		if (cfg->dns_app && (k.dport == 53 || k.sport == 53)) {
			nf.app_id = cfg->dns_app;
			nf.flags = PT_FLOW_DPI_DONE;
		}
		if (k.proto != IPPROTO_TCP && k.proto != IPPROTO_UDP)
			nf.flags = PT_FLOW_DPI_DONE;
		decide(skb, &k, &nf, dscp, cfg);
		bpf_map_update_elem(&pt_flows, &k, &nf, BPF_NOEXIST);
		stat_inc(PT_STAT_NEW_FLOWS);
		f = bpf_map_lookup_elem(&pt_flows, &k);
		if (!f)
			return TC_ACT_OK;
	} else if (f->generation != cfg->generation) {
		/* A reconfig: re-evaluate with what we already know (the app id survives). */
		decide(skb, &k, f, dscp, cfg);
		stat_inc(PT_STAT_RECLASSIFIED);
	}

	if (!(f->flags & PT_FLOW_DPI_DONE) && plen > 0) {
		__u32 app = pt_dpi(skb, k.proto, k.dport, payload_off, plen);
		f->inspected += 1;
		if (app) {
			f->app_id = app;
			f->flags |= PT_FLOW_DPI_DONE;
			stat_inc(PT_STAT_DPI_HITS);
			decide(skb, &k, f, dscp, cfg);
		} else if (f->inspected >= cfg->inspect_packets) {
			f->flags |= PT_FLOW_DPI_DONE;
		}
	}

	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, skb->len);
	f->last_seen_ns = now;

	__u32 mark = f->mark;
	if (f->class_id < PT_MAX_CLASSES) {
		struct pt_class *c;
		__u32 cls = f->class_id;
		if ((c = bpf_map_lookup_elem(&pt_classes, &cls)) && c->lb_mode == 2) {
			__u32 b = cls * PT_LB_BUCKETS + bpf_get_prandom_u32() % PT_LB_BUCKETS;
			__u32 *pm = bpf_map_lookup_elem(&pt_lb, &b);
			if (pm && *pm)
				mark = *pm;
		}
	}
	if (mark)
		skb->mark = mark;
	counter_add(&pt_class_stats, f->class_id < PT_MAX_CLASSES ? f->class_id : PT_MAX_CLASSES,
		    skb->len);
	if (f->app_id)
		counter_add(&pt_app_stats, f->app_id & (PT_MAX_APPS - 1), skb->len);
	if (f->dscp != 0xff)
		rewrite_dscp(skb, k.family, dscp, f->dscp);
	return TC_ACT_OK;
}
