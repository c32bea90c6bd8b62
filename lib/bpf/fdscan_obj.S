/* SPDX-License-Identifier: MIT */
/* The eBPF object built from fdscan.bpf.c, as bytes (SA_FDSCAN_OBJ: its path). */
        .section .rodata
        .balign 8
        .global sa_fdscan_obj
        .type sa_fdscan_obj, @object
sa_fdscan_obj:
        .incbin SA_FDSCAN_OBJ
        .global sa_fdscan_obj_end
sa_fdscan_obj_end:
        .section .note.GNU-stack, "", @progbits
