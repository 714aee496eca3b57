// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Patronus egress QoS selector: a tc bpf filter (classic mode) under an uplink's HTB root.
 * This kernel has no `fw` classifier, and u32's `match mark` is accepted but ignored (no
 * CONFIG_CLS_U32_MARK: every packet matched), so the class mark the LAN classifier set
 * (0x7300 + class, or 0x7400 | class << 4 | path for a load-balanced class) picks HTB class
 * 1:(0x10 + class) as this program's return value.
 * Stateless on purpose: no maps to keep in sync per uplink. Unmarked traffic gets no
 * classid and falls to the HTB default class.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define CLASS_MARK_BASE 0x7300
#define CLASS_MARK_MASK 0xfffffff0
/* ECMP marks of load-balance classes: 0x7400 | class << 4 | path (agent/bpf/ecmp-plan.ts). */
#define ECMP_MARK_BASE 0x7400
#define ECMP_MARK_MASK 0xffffff00

SEC("tc")
int pt_qos(struct __sk_buff *skb)
{
	__u32 mark = skb->mark;
	/* Classic (not direct-action) cls_bpf: the return value is the classid, 0 = no match. */
	if ((mark & CLASS_MARK_MASK) == CLASS_MARK_BASE)
		return TC_H_MAKE(1 << 16, 0x10 + (mark - CLASS_MARK_BASE));
	if ((mark & ECMP_MARK_MASK) == ECMP_MARK_BASE)
		return TC_H_MAKE(1 << 16, 0x10 + ((mark >> 4) & 0xf));
	return 0;
}
