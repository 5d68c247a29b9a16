/* Intel VMX: VMCS field encodings, control bits, exit reasons and exit
 * qualification layouts, named and grouped as the SDM names and groups them.
 * Reference: Intel 64 and IA-32 Architectures Software Developer's Manual,
 * Volume 3C (Order No. 326019). See: Appendix B "Field Encoding in VMCS",
 * 24.6 "VM-Execution Control Fields", 24.7 "VM-Exit Control Fields", 24.8
 * "VM-Entry Control Fields", 27.2.1 "Basic VM-Exit Information", Appendix C
 * "VMX Basic Exit Reasons", 30.4 "VM Instruction Error Numbers",
 * Appendix A "VMX Capability Reporting Facility". */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include "lib/types.h"

/* ---- Capability MSRs (Appendix A; SDM 4 "Model-Specific Registers"). */
#define MSR_IA32_VMX_BASIC              0x00000480
#define MSR_IA32_VMX_PINBASED_CTLS      0x00000481
#define MSR_IA32_VMX_PROCBASED_CTLS     0x00000482
#define MSR_IA32_VMX_EXIT_CTLS          0x00000483
#define MSR_IA32_VMX_ENTRY_CTLS         0x00000484
#define MSR_IA32_VMX_MISC               0x00000485
#define MSR_IA32_VMX_CR0_FIXED0         0x00000486
#define MSR_IA32_VMX_CR0_FIXED1         0x00000487
#define MSR_IA32_VMX_CR4_FIXED0         0x00000488
#define MSR_IA32_VMX_CR4_FIXED1         0x00000489
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x0000048b
#define MSR_IA32_VMX_EPT_VPID_CAP       0x0000048c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x0000048f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x00000490
#define MSR_IA32_DEBUGCTL               0x000001d9

/* IA32_FEATURE_CONTROL's bits are in arch/x86/msr_index.h. */

/* IA32_VMX_BASIC (A.1). */
#define VMX_BASIC_REVISION(b)    ((uint32_t)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b)     (((b) >> 50) & 0xf)   /* 6 = write-back */
#define VMX_BASIC_TRUE_CTLS      BIT(55)

/* IA32_VMX_EPT_VPID_CAP (A.10). */
#define VMX_EPT_CAP_WALK_4       BIT(6)
#define VMX_EPT_CAP_WB           BIT(14)
#define VMX_EPT_CAP_2MB          BIT(16)
#define VMX_EPT_CAP_1GB          BIT(17)
#define VMX_EPT_CAP_INVEPT       BIT(20)
#define VMX_EPT_CAP_AD           BIT(21)
#define VMX_EPT_CAP_INVEPT_SINGLE BIT(25)
#define VMX_EPT_CAP_INVEPT_ALL   BIT(26)
#define VMX_VPID_CAP_INVVPID     BIT(32)
#define VMX_VPID_CAP_SINGLE      BIT(41)
#define VMX_VPID_CAP_ALL         BIT(42)

/* EPTP (24.6.11 "Extended-Page-Table Pointer (EPTP)"). */
#define EPTP_MT_WB               6ULL
#define EPTP_WALK_4              (3ULL << 3)   /* page-walk length - 1 */
#define EPTP_AD                  BIT(6)

/* INVEPT / INVVPID types (30.3 "VMX Instructions", INVEPT, INVVPID). */
#define INVEPT_SINGLE_CONTEXT    1
#define INVEPT_ALL_CONTEXT       2
#define INVVPID_SINGLE_CONTEXT   1
#define INVVPID_ALL_CONTEXT      2

/* ---- VMCS field encodings (Appendix B). ------------------------------- */
/* B.1.1 16-bit control fields. */
#define VMCS_VIRTUAL_PROCESSOR_ID           0x0000
/* B.1.2 16-bit guest-state fields. */
#define VMCS_GUEST_ES_SELECTOR              0x0800
#define VMCS_GUEST_CS_SELECTOR              0x0802
#define VMCS_GUEST_SS_SELECTOR              0x0804
#define VMCS_GUEST_DS_SELECTOR              0x0806
#define VMCS_GUEST_FS_SELECTOR              0x0808
#define VMCS_GUEST_GS_SELECTOR              0x080a
#define VMCS_GUEST_LDTR_SELECTOR            0x080c
#define VMCS_GUEST_TR_SELECTOR              0x080e
/* B.1.3 16-bit host-state fields. */
#define VMCS_HOST_ES_SELECTOR               0x0c00
#define VMCS_HOST_CS_SELECTOR               0x0c02
#define VMCS_HOST_SS_SELECTOR               0x0c04
#define VMCS_HOST_DS_SELECTOR               0x0c06
#define VMCS_HOST_FS_SELECTOR               0x0c08
#define VMCS_HOST_GS_SELECTOR               0x0c0a
#define VMCS_HOST_TR_SELECTOR               0x0c0c
/* B.2.1 64-bit control fields. */
#define VMCS_IO_BITMAP_A                    0x2000
#define VMCS_IO_BITMAP_B                    0x2002
#define VMCS_MSR_BITMAPS                    0x2004
#define VMCS_VM_EXIT_MSR_STORE_ADDR         0x2006
#define VMCS_VM_EXIT_MSR_LOAD_ADDR          0x2008
#define VMCS_VM_ENTRY_MSR_LOAD_ADDR         0x200a
#define VMCS_TSC_OFFSET                     0x2010
#define VMCS_VIRTUAL_APIC_ADDR              0x2012
#define VMCS_EPT_POINTER                    0x201a
#define VMCS_XSS_EXITING_BITMAP             0x202c
/* B.2.2 64-bit read-only data field. */
#define VMCS_GUEST_PHYSICAL_ADDRESS         0x2400
/* B.2.3 64-bit guest-state fields. */
#define VMCS_VMCS_LINK_POINTER              0x2800
#define VMCS_GUEST_IA32_DEBUGCTL            0x2802
#define VMCS_GUEST_IA32_PAT                 0x2804
#define VMCS_GUEST_IA32_EFER                0x2806
#define VMCS_GUEST_PDPTE0                   0x280a
/* B.2.4 64-bit host-state fields. */
#define VMCS_HOST_IA32_PAT                  0x2c00
#define VMCS_HOST_IA32_EFER                 0x2c02
/* B.3.1 32-bit control fields. */
#define VMCS_PIN_BASED_VM_EXEC_CONTROL      0x4000
#define VMCS_PRIMARY_PROC_BASED_VM_EXEC_CONTROL 0x4002
#define VMCS_EXCEPTION_BITMAP               0x4004
#define VMCS_PAGE_FAULT_ERROR_CODE_MASK     0x4006
#define VMCS_PAGE_FAULT_ERROR_CODE_MATCH    0x4008
#define VMCS_CR3_TARGET_COUNT               0x400a
#define VMCS_VM_EXIT_CONTROLS               0x400c
#define VMCS_VM_EXIT_MSR_STORE_COUNT        0x400e
#define VMCS_VM_EXIT_MSR_LOAD_COUNT         0x4010
#define VMCS_VM_ENTRY_CONTROLS              0x4012
#define VMCS_VM_ENTRY_MSR_LOAD_COUNT        0x4014
#define VMCS_VM_ENTRY_INTERRUPTION_INFO     0x4016
#define VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE  0x4018
#define VMCS_VM_ENTRY_INSTRUCTION_LENGTH    0x401a
#define VMCS_TPR_THRESHOLD                  0x401c
#define VMCS_PLE_GAP                        0x4020
#define VMCS_PLE_WINDOW                     0x4022
#define VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL 0x401e
/* B.3.2 32-bit read-only data fields. */
#define VMCS_VM_INSTRUCTION_ERROR           0x4400
#define VMCS_EXIT_REASON                    0x4402
#define VMCS_VM_EXIT_INTERRUPTION_INFO      0x4404
#define VMCS_VM_EXIT_INTERRUPTION_ERROR_CODE 0x4406
#define VMCS_IDT_VECTORING_INFO             0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE       0x440a
#define VMCS_VM_EXIT_INSTRUCTION_LENGTH     0x440c
#define VMCS_VM_EXIT_INSTRUCTION_INFO       0x440e
/* B.3.3 32-bit guest-state fields. */
#define VMCS_GUEST_ES_LIMIT                 0x4800
#define VMCS_GUEST_CS_LIMIT                 0x4802
#define VMCS_GUEST_SS_LIMIT                 0x4804
#define VMCS_GUEST_DS_LIMIT                 0x4806
#define VMCS_GUEST_FS_LIMIT                 0x4808
#define VMCS_GUEST_GS_LIMIT                 0x480a
#define VMCS_GUEST_LDTR_LIMIT               0x480c
#define VMCS_GUEST_TR_LIMIT                 0x480e
#define VMCS_GUEST_GDTR_LIMIT               0x4810
#define VMCS_GUEST_IDTR_LIMIT               0x4812
#define VMCS_GUEST_ES_ACCESS_RIGHTS         0x4814
#define VMCS_GUEST_CS_ACCESS_RIGHTS         0x4816
#define VMCS_GUEST_SS_ACCESS_RIGHTS         0x4818
#define VMCS_GUEST_DS_ACCESS_RIGHTS         0x481a
#define VMCS_GUEST_FS_ACCESS_RIGHTS         0x481c
#define VMCS_GUEST_GS_ACCESS_RIGHTS         0x481e
#define VMCS_GUEST_LDTR_ACCESS_RIGHTS       0x4820
#define VMCS_GUEST_TR_ACCESS_RIGHTS         0x4822
#define VMCS_GUEST_INTERRUPTIBILITY_STATE   0x4824
#define VMCS_GUEST_ACTIVITY_STATE           0x4826
#define VMCS_GUEST_IA32_SYSENTER_CS         0x482a
/* B.3.4 32-bit host-state field. */
#define VMCS_HOST_IA32_SYSENTER_CS          0x4c00
/* B.4.1 natural-width control fields. */
#define VMCS_CR0_GUEST_HOST_MASK            0x6000
#define VMCS_CR4_GUEST_HOST_MASK            0x6002
#define VMCS_CR0_READ_SHADOW                0x6004
#define VMCS_CR4_READ_SHADOW                0x6006
/* B.4.2 natural-width read-only data fields. */
#define VMCS_EXIT_QUALIFICATION             0x6400
#define VMCS_GUEST_LINEAR_ADDRESS           0x640a
/* B.4.3 natural-width guest-state fields. */
#define VMCS_GUEST_CR0                      0x6800
#define VMCS_GUEST_CR3                      0x6802
#define VMCS_GUEST_CR4                      0x6804
#define VMCS_GUEST_ES_BASE                  0x6806
#define VMCS_GUEST_CS_BASE                  0x6808
#define VMCS_GUEST_SS_BASE                  0x680a
#define VMCS_GUEST_DS_BASE                  0x680c
#define VMCS_GUEST_FS_BASE                  0x680e
#define VMCS_GUEST_GS_BASE                  0x6810
#define VMCS_GUEST_LDTR_BASE                0x6812
#define VMCS_GUEST_TR_BASE                  0x6814
#define VMCS_GUEST_GDTR_BASE                0x6816
#define VMCS_GUEST_IDTR_BASE                0x6818
#define VMCS_GUEST_DR7                      0x681a
#define VMCS_GUEST_RSP                      0x681c
#define VMCS_GUEST_RIP                      0x681e
#define VMCS_GUEST_RFLAGS                   0x6820
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS   0x6822
#define VMCS_GUEST_IA32_SYSENTER_ESP        0x6824
#define VMCS_GUEST_IA32_SYSENTER_EIP        0x6826
/* B.4.4 natural-width host-state fields. */
#define VMCS_HOST_CR0                       0x6c00
#define VMCS_HOST_CR3                       0x6c02
#define VMCS_HOST_CR4                       0x6c04
#define VMCS_HOST_FS_BASE                   0x6c06
#define VMCS_HOST_GS_BASE                   0x6c08
#define VMCS_HOST_TR_BASE                   0x6c0a
#define VMCS_HOST_GDTR_BASE                 0x6c0c
#define VMCS_HOST_IDTR_BASE                 0x6c0e
#define VMCS_HOST_IA32_SYSENTER_ESP         0x6c10
#define VMCS_HOST_IA32_SYSENTER_EIP         0x6c12
#define VMCS_HOST_RSP                       0x6c14
#define VMCS_HOST_RIP                       0x6c16

/* ---- 24.6.1 Pin-based VM-execution controls (Table 24-5). */
#define PIN_BASED_EXT_INTR_EXITING          BIT(0)
#define PIN_BASED_NMI_EXITING               BIT(3)
#define PIN_BASED_VIRTUAL_NMIS              BIT(5)
#define PIN_BASED_PREEMPTION_TIMER          BIT(6)
#define PIN_BASED_POSTED_INTR               BIT(7)

/* ---- 24.6.2 Primary processor-based controls (Table 24-6). */
#define CPU_BASED_INTR_WINDOW_EXITING       BIT(2)
#define CPU_BASED_USE_TSC_OFFSETTING        BIT(3)
#define CPU_BASED_HLT_EXITING               BIT(7)
#define CPU_BASED_INVLPG_EXITING            BIT(9)
#define CPU_BASED_MWAIT_EXITING             BIT(10)
#define CPU_BASED_RDPMC_EXITING             BIT(11)
#define CPU_BASED_RDTSC_EXITING             BIT(12)
#define CPU_BASED_CR3_LOAD_EXITING          BIT(15)
#define CPU_BASED_CR3_STORE_EXITING         BIT(16)
#define CPU_BASED_CR8_LOAD_EXITING          BIT(19)
#define CPU_BASED_CR8_STORE_EXITING         BIT(20)
#define CPU_BASED_USE_TPR_SHADOW            BIT(21)
#define CPU_BASED_NMI_WINDOW_EXITING        BIT(22)
#define CPU_BASED_MOV_DR_EXITING            BIT(23)
#define CPU_BASED_UNCOND_IO_EXITING         BIT(24)
#define CPU_BASED_USE_IO_BITMAPS            BIT(25)
#define CPU_BASED_MONITOR_TRAP_FLAG         BIT(27)
#define CPU_BASED_USE_MSR_BITMAPS           BIT(28)
#define CPU_BASED_MONITOR_EXITING           BIT(29)
#define CPU_BASED_PAUSE_EXITING             BIT(30)
#define CPU_BASED_ACTIVATE_SECONDARY        BIT(31)

/* ---- Secondary processor-based controls (Table 24-7). */
#define SECONDARY_VIRTUALIZE_APIC_ACCESSES  BIT(0)
#define SECONDARY_ENABLE_EPT                BIT(1)
#define SECONDARY_DESC_TABLE_EXITING        BIT(2)
#define SECONDARY_ENABLE_RDTSCP             BIT(3)
#define SECONDARY_ENABLE_VPID               BIT(5)
#define SECONDARY_WBINVD_EXITING            BIT(6)
#define SECONDARY_UNRESTRICTED_GUEST        BIT(7)
#define SECONDARY_PAUSE_LOOP_EXITING        BIT(10)
#define SECONDARY_ENABLE_INVPCID            BIT(12)
#define SECONDARY_ENABLE_XSAVES             BIT(20)

/* ---- 24.7.1 VM-exit controls (Table 24-13). */
#define VM_EXIT_SAVE_DEBUG_CONTROLS         BIT(2)
#define VM_EXIT_HOST_ADDR_SPACE_SIZE        BIT(9)
#define VM_EXIT_LOAD_PERF_GLOBAL_CTRL       BIT(12)
#define VM_EXIT_ACK_INTR_ON_EXIT            BIT(15)
#define VM_EXIT_SAVE_IA32_PAT               BIT(18)
#define VM_EXIT_LOAD_IA32_PAT               BIT(19)
#define VM_EXIT_SAVE_IA32_EFER              BIT(20)
#define VM_EXIT_LOAD_IA32_EFER              BIT(21)

/* ---- 24.8.1 VM-entry controls (Table 24-15). */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS        BIT(2)
#define VM_ENTRY_IA32E_MODE_GUEST           BIT(9)
#define VM_ENTRY_LOAD_IA32_PAT              BIT(14)
#define VM_ENTRY_LOAD_IA32_EFER             BIT(15)

/* ---- 24.8.3 VM-entry interruption-information field (Table 24-16); the
 * same layout serves VM-exit interruption information and IDT-vectoring
 * information (27.2.2, 27.2.4). */
#define INTR_INFO_VECTOR_MASK               0xffu
#define INTR_INFO_TYPE_SHIFT                8
#define INTR_INFO_TYPE_MASK                 (7u << 8)
#define INTR_INFO_DELIVER_CODE              BIT(11)
#define INTR_INFO_NMI_UNBLOCKING            BIT(12)
#define INTR_INFO_VALID                     BIT(31)
#define INTR_TYPE_EXT_INTR                  0
#define INTR_TYPE_NMI                       2
#define INTR_TYPE_HARD_EXCEPTION            3
#define INTR_TYPE_SOFT_INTR                 4
#define INTR_TYPE_PRIV_SOFT_EXCEPTION       5
#define INTR_TYPE_SOFT_EXCEPTION            6

/* ---- 24.4.1 Guest register state: segment access rights (Table 24-2).
 * Bits 7:0 are descriptor bits 47:40, bits 15:12 descriptor bits 55:52,
 * bits 11:8 are reserved, bit 16 marks the segment unusable. */
#define VMX_AR_UNUSABLE                     BIT(16)

/* ---- 24.4.2 Guest non-register state. */
#define GUEST_INTR_STATE_STI                BIT(0)
#define GUEST_INTR_STATE_MOV_SS             BIT(1)
#define GUEST_INTR_STATE_SMI                BIT(2)
#define GUEST_INTR_STATE_NMI                BIT(3)
#define GUEST_ACTIVITY_ACTIVE               0

/* ---- 27.2.1 Exit reason field (Table 24-18 layout). */
#define EXIT_REASON_BASIC(r)                ((r) & 0xffff)
#define EXIT_REASON_FAILED_ENTRY            BIT(31)

/* ---- Appendix C: basic exit reasons (Table C-1). */
#define EXIT_REASON_EXCEPTION_NMI           0
#define EXIT_REASON_EXTERNAL_INTERRUPT      1
#define EXIT_REASON_TRIPLE_FAULT            2
#define EXIT_REASON_INIT_SIGNAL             3
#define EXIT_REASON_SIPI                    4
#define EXIT_REASON_IO_SMI                  5
#define EXIT_REASON_OTHER_SMI               6
#define EXIT_REASON_INTERRUPT_WINDOW        7
#define EXIT_REASON_NMI_WINDOW              8
#define EXIT_REASON_TASK_SWITCH             9
#define EXIT_REASON_CPUID                   10
#define EXIT_REASON_GETSEC                  11
#define EXIT_REASON_HLT                     12
#define EXIT_REASON_INVD                    13
#define EXIT_REASON_INVLPG                  14
#define EXIT_REASON_RDPMC                   15
#define EXIT_REASON_RDTSC                   16
#define EXIT_REASON_RSM                     17
#define EXIT_REASON_VMCALL                  18
#define EXIT_REASON_VMCLEAR                 19
#define EXIT_REASON_VMLAUNCH                20
#define EXIT_REASON_VMPTRLD                 21
#define EXIT_REASON_VMPTRST                 22
#define EXIT_REASON_VMREAD                  23
#define EXIT_REASON_VMRESUME                24
#define EXIT_REASON_VMWRITE                 25
#define EXIT_REASON_VMXOFF                  26
#define EXIT_REASON_VMXON                   27
#define EXIT_REASON_CR_ACCESS               28
#define EXIT_REASON_DR_ACCESS               29
#define EXIT_REASON_IO_INSTRUCTION          30
#define EXIT_REASON_MSR_READ                31
#define EXIT_REASON_MSR_WRITE               32
#define EXIT_REASON_INVALID_GUEST_STATE     33
#define EXIT_REASON_MSR_LOADING             34
#define EXIT_REASON_MWAIT_INSTRUCTION       36
#define EXIT_REASON_MONITOR_TRAP_FLAG       37
#define EXIT_REASON_MONITOR_INSTRUCTION     39
#define EXIT_REASON_PAUSE_INSTRUCTION       40
#define EXIT_REASON_MCE_DURING_VMENTRY      41
#define EXIT_REASON_TPR_BELOW_THRESHOLD     43
#define EXIT_REASON_APIC_ACCESS             44
#define EXIT_REASON_EOI_INDUCED             45
#define EXIT_REASON_GDTR_IDTR               46
#define EXIT_REASON_LDTR_TR                 47
#define EXIT_REASON_EPT_VIOLATION           48
#define EXIT_REASON_EPT_MISCONFIG           49
#define EXIT_REASON_INVEPT                  50
#define EXIT_REASON_RDTSCP                  51
#define EXIT_REASON_PREEMPTION_TIMER        52
#define EXIT_REASON_INVVPID                 53
#define EXIT_REASON_WBINVD                  54
#define EXIT_REASON_XSETBV                  55
#define EXIT_REASON_APIC_WRITE              56
#define EXIT_REASON_RDRAND                  57
#define EXIT_REASON_INVPCID                 58
#define EXIT_REASON_VMFUNC                  59
#define EXIT_REASON_ENCLS                   60
#define EXIT_REASON_RDSEED                  61
#define EXIT_REASON_PML_FULL                62
#define EXIT_REASON_XSAVES                  63
#define EXIT_REASON_XRSTORS                 64
#define EXIT_REASON_MAX                     64

/* ---- 27.2.1 Exit qualifications. */
/* Table 27-3: control-register accesses. */
#define CR_QUAL_NUMBER(q)                   ((q) & 0xf)
#define CR_QUAL_ACCESS_TYPE(q)              (((q) >> 4) & 3)
#define CR_QUAL_GPR(q)                      (((q) >> 8) & 0xf)
#define CR_ACCESS_MOV_TO_CR                 0
#define CR_ACCESS_MOV_FROM_CR               1
#define CR_ACCESS_CLTS                      2
#define CR_ACCESS_LMSW                      3
/* Table 27-5: I/O instructions. */
#define IO_QUAL_SIZE(q)                     (((q) & 7) + 1)  /* 1, 2 or 4 */
#define IO_QUAL_IN                          BIT(3)
#define IO_QUAL_STRING                      BIT(4)
#define IO_QUAL_REP                         BIT(5)
#define IO_QUAL_PORT(q)                     ((uint16_t)((q) >> 16))
/* Table 27-7: EPT violations. */
#define EPT_QUAL_READ                       BIT(0)
#define EPT_QUAL_WRITE                      BIT(1)
#define EPT_QUAL_FETCH                      BIT(2)
#define EPT_QUAL_READABLE                   BIT(3)
#define EPT_QUAL_WRITABLE                   BIT(4)
#define EPT_QUAL_EXECUTABLE                 BIT(5)
#define EPT_QUAL_LINEAR_VALID               BIT(7)
/* 27.8 "VM-Entry Failures During or After Loading Guest State": exit
 * qualification of EXIT_REASON_INVALID_GUEST_STATE. */
#define ENTRY_FAIL_DEFAULT                  0
#define ENTRY_FAIL_PDPTE                    2
#define ENTRY_FAIL_NMI_INJECT               3
#define ENTRY_FAIL_VMCS_LINK                4

/* ---- 30.4 VM-instruction error numbers (Table 30-1). */
#define VMXERR_VMCALL_IN_ROOT               1
#define VMXERR_VMCLEAR_INVALID_ADDRESS      2
#define VMXERR_VMCLEAR_VMXON_POINTER        3
#define VMXERR_VMLAUNCH_NONCLEAR_VMCS       4
#define VMXERR_VMRESUME_NONLAUNCHED_VMCS    5
#define VMXERR_VMRESUME_AFTER_VMXOFF        6
#define VMXERR_ENTRY_INVALID_CONTROL_FIELD  7
#define VMXERR_ENTRY_INVALID_HOST_STATE_FIELD 8
#define VMXERR_VMPTRLD_INVALID_ADDRESS      9
#define VMXERR_VMPTRLD_VMXON_POINTER        10
#define VMXERR_VMPTRLD_INCORRECT_REVISION   11
#define VMXERR_UNSUPPORTED_VMCS_COMPONENT   12
#define VMXERR_VMWRITE_READ_ONLY_COMPONENT  13
#define VMXERR_VMXON_IN_ROOT                15
#define VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS 16
#define VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS 17
#define VMXERR_ENTRY_EXECUTIVE_NOT_VMXON    18
#define VMXERR_VMCALL_NONCLEAR_VMCS         19
#define VMXERR_VMCALL_INVALID_EXIT_CONTROLS 20
#define VMXERR_VMCALL_INCORRECT_MSEG_REVISION 22
#define VMXERR_VMXOFF_DUAL_MONITOR          23
#define VMXERR_VMCALL_INVALID_SMM_FEATURES  24
#define VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS 25
#define VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS 26
#define VMXERR_INVALID_INVEPT_INVVPID_OPERAND 28

#endif
