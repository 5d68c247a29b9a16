# gdb helpers for Keel (docs/debugging.md). Loaded by the script that
# scripts/debug.py writes (build/debug/keel-gdb.gdb), after
# `add-symbol-file build/keel.so -o <image base>` has placed Keel's symbols
# where UEFI loaded it.

set pagination off
set confirm off
set disassembly-flavor intel

# keel-exits [vcpu]: the exit counts per reason of a struct vcpu * (default:
# the vCPU whose exit was traced last).
define keel-exits
  if $argc == 1
    set $v = (struct vcpu *)$arg0
  else
    set $v = trace_last_vcpu()
  end
  set $i = 0
  while $i < EXIT_REASON_COUNT
    if $v->stats.count[$i]
      printf "%-14s %llu\n", exit_reason_name($i), $v->stats.count[$i]
    end
    set $i = $i + 1
  end
end
document keel-exits
Exit counts per reason of a vCPU: keel-exits [struct vcpu *].
end

# keel-regs [vcpu]: guest RIP, RSP and CR3 of a vCPU.
define keel-regs
  set $v = (struct vcpu *)$arg0
  printf "rip %#llx rsp %#llx cr3 %#llx\n", $v->state.rip, $v->state.gpr[4], $v->state.cr3
end
document keel-regs
Guest RIP, RSP and CR3 of a struct vcpu *: keel-regs <vcpu>.
end
