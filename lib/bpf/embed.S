/* SPDX-License-Identifier: MIT */
/*
 * An eBPF object clang built, as bytes: SA_BPF_NAME[] .. SA_BPF_NAME_end
 * hold the file SA_BPF_FILE (both given by the Makefile).
 */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
        .section .rodata
        .balign 8
        .global SA_BPF_NAME
        .type SA_BPF_NAME, @object
SA_BPF_NAME:
        .incbin SA_BPF_FILE
        .global CAT(SA_BPF_NAME, _end)
CAT(SA_BPF_NAME, _end):
        .section .note.GNU-stack, "", @progbits
