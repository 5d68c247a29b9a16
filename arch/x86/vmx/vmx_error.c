/* Names of the VM-instruction error numbers, for every log line that
 * reports a failed VMX instruction (STYLE.md: a code-to-name table).
 * Reference: Intel SDM Volume 3C (Order No. 326019), 30.4 "VM Instruction
 * Error Numbers", Table 30-1. */
#include "arch/x86/vmx/vmx.h"

static const char *const vmx_insn_errors[] = {
    [VMXERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
    [VMXERR_VMCLEAR_INVALID_ADDRESS] = "VMCLEAR with invalid physical address",
    [VMXERR_VMCLEAR_VMXON_POINTER] = "VMCLEAR with VMXON pointer",
    [VMXERR_VMLAUNCH_NONCLEAR_VMCS] = "VMLAUNCH with non-clear VMCS",
    [VMXERR_VMRESUME_NONLAUNCHED_VMCS] = "VMRESUME with non-launched VMCS",
    [VMXERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF",
    [VMXERR_ENTRY_INVALID_CONTROL_FIELD] =
        "VM entry with invalid control field(s)",
    [VMXERR_ENTRY_INVALID_HOST_STATE_FIELD] =
        "VM entry with invalid host-state field(s)",
    [VMXERR_VMPTRLD_INVALID_ADDRESS] = "VMPTRLD with invalid physical address",
    [VMXERR_VMPTRLD_VMXON_POINTER] = "VMPTRLD with VMXON pointer",
    [VMXERR_VMPTRLD_INCORRECT_REVISION] =
        "VMPTRLD with incorrect VMCS revision identifier",
    [VMXERR_UNSUPPORTED_VMCS_COMPONENT] =
        "VMREAD/VMWRITE from/to unsupported VMCS component",
    [VMXERR_VMWRITE_READ_ONLY_COMPONENT] = "VMWRITE to read-only VMCS component",
    [VMXERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
    [VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS] =
        "VM entry with invalid executive-VMCS pointer",
    [VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS] =
        "VM entry with non-launched executive VMCS",
    [VMXERR_ENTRY_EXECUTIVE_NOT_VMXON] =
        "VM entry with executive-VMCS pointer not VMXON pointer",
    [VMXERR_VMCALL_NONCLEAR_VMCS] = "VMCALL with non-clear VMCS",
    [VMXERR_VMCALL_INVALID_EXIT_CONTROLS] =
        "VMCALL with invalid VM-exit control fields",
    [VMXERR_VMCALL_INCORRECT_MSEG_REVISION] =
        "VMCALL with incorrect MSEG revision identifier",
    [VMXERR_VMXOFF_DUAL_MONITOR] =
        "VMXOFF under dual-monitor treatment of SMIs and SMM",
    [VMXERR_VMCALL_INVALID_SMM_FEATURES] =
        "VMCALL with invalid SMM-monitor features",
    [VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS] =
        "VM entry with invalid VM-execution control fields in executive VMCS",
    [VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS] =
        "VM entry with events blocked by MOV SS",
    [VMXERR_INVALID_INVEPT_INVVPID_OPERAND] =
        "Invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(uint32_t err)
{
    if (err < ARRAY_SIZE(vmx_insn_errors) && vmx_insn_errors[err])
        return vmx_insn_errors[err];
    return "unknown VM-instruction error";
}
