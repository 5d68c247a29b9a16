/* Keel's UEFI entry (GNU-EFI): read \EFI\keel\keel.cfg from the volume Keel
 * was loaded from, load every VM's files, find the ACPI RSDP, take the final
 * memory map, find the GOP framebuffer Keel's screen console will draw on,
 * ExitBootServices and hand one struct boot_info to hv_main().
 * Every error before ExitBootServices is printed (console and serial) and
 * returned to the firmware; only when the machine has no serial port does
 * Keel first wait for a key, so the error stays readable on the screen.
 * Reference: UEFI 2.9, 7.4 "Image Services" (ExitBootServices), 7.2
 * "Memory Allocation Services" (GetMemoryMap), 13.5 "File Protocol",
 * 12.9 "Graphics Output Protocol", 12.3 "Simple Text Input Protocol". */
#include <efi.h>
#include <efilib.h>
#include "arch/x86/platform.h"
#include "arch/x86/trap.h"
#include "arch/x86/virt_facts.h"
#include "boot/boot.h"
#include "drivers/console.h"
#include "drivers/serial.h"
#include "hv/core/config.h"
#include "hv/core/virt_check.h"
#include "hv/main.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

#define CONFIG_PATH "\\EFI\\keel\\keel.cfg"

static struct boot_info bi;
static bool conout_is_serial; /* the firmware already mirrors to COM1 */

void boot_msg(const char *fmt, ...)
{
    char buf[512];
    CHAR16 wbuf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    /* ConOut wants CR LF; the format uses LF only. */
    size_t w = 0;
    for (int i = 0; i < n && w + 2 < ARRAY_SIZE(wbuf); i++) {
        if (buf[i] == '\n')
            wbuf[w++] = L'\r';
        wbuf[w++] = (CHAR16)(unsigned char)buf[i];
    }
    wbuf[w] = 0;
    uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wbuf);
    size_t keep = MIN((size_t)n, sizeof(bi.boot_log) - bi.boot_log_len);
    memcpy(bi.boot_log + bi.boot_log_len, buf, keep);
    bi.boot_log_len += keep;
    if (!conout_is_serial)
        serial_write(buf, (size_t)n);
}

/* Does the firmware's ConOut variable include a UART device path node
 * (UEFI 2.9, 10.3.4.10 "UART Device Path")? Then ConOut already reaches
 * the serial port and Keel must not print everything twice. */
static bool conout_has_uart(void)
{
    UINTN size = 0;
    UINT8 *dp = LibGetVariableAndSize(L"ConOut", &EfiGlobalVariable, &size);
    bool found = false;
    for (UINTN off = 0; dp && off + 4 <= size;) {
        UINT8 type = dp[off], subtype = dp[off + 1];
        UINT16 len = (UINT16)(dp[off + 2] | dp[off + 3] << 8);
        if (type == MESSAGING_DEVICE_PATH && subtype == MSG_UART_DP)
            found = true;
        if (len < 4)
            break;
        off += len;
    }
    if (dp)
        FreePool(dp);
    return found;
}

/* The framebuffer of the firmware's graphics console, for Keel's screen
 * console after ExitBootServices (UEFI 2.9, 12.9: Mode->FrameBufferBase,
 * Mode->Info's resolution, PixelsPerScanLine and PixelFormat). bi.fb stays
 * empty without GOP or with PixelBltOnly (no linear framebuffer). */
static void find_framebuffer(void)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
    EFI_STATUS st = uefi_call_wrapper(BS->LocateProtocol, 3,
                                      &GraphicsOutputProtocol, NULL,
                                      (void **)&gop);
    if (EFI_ERROR(st) || !gop || !gop->Mode || !gop->Mode->Info ||
        gop->Mode->Info->PixelFormat >= PixelBltOnly) {
        boot_msg("keel: no GOP framebuffer: the console is the serial "
                 "port alone\n");
        return;
    }
    const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
    bi.fb = (struct fb_info){
        .base = (uint32_t *)(uintptr_t)gop->Mode->FrameBufferBase,
        .width = info->HorizontalResolution,
        .height = info->VerticalResolution,
        .stride = info->PixelsPerScanLine,
        .format = info->PixelFormat,
        .red_mask = info->PixelInformation.RedMask,
        .green_mask = info->PixelInformation.GreenMask,
        .blue_mask = info->PixelInformation.BlueMask,
    };
    boot_msg("keel: GOP framebuffer %ux%u at %#llx (%u pixels per line, "
             "format %u)\n", bi.fb.width, bi.fb.height,
             (unsigned long long)gop->Mode->FrameBufferBase, bi.fb.stride,
             bi.fb.format);
}

/* After an error, with no serial port the screen is the only place the
 * message is: wait for a key before the firmware's boot manager takes the
 * screen back (UEFI 2.9, 12.3: ConIn's WaitForKey event, ReadKeyStroke). */
static void hold_error_on_screen(void)
{
    if (serial_present() || !ST->ConIn)
        return;
    boot_msg("keel: press a key to return to the firmware\n");
    UINTN index;
    EFI_INPUT_KEY key;
    uefi_call_wrapper(BS->WaitForEvent, 3, 1, &ST->ConIn->WaitForKey, &index);
    uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn, &key);
}

/* One page below 1 MiB for the other CPUs' start-up code: a start-up IPI
 * names a 4 KiB page under 1 MiB (SDM 3A 9.4.4.1), and after
 * ExitBootServices only pages Keel allocated now are its own. 0 when the
 * firmware has none free (Keel then runs on the boot CPU alone). */
static hpa_t reserve_ap_trampoline(void)
{
    EFI_PHYSICAL_ADDRESS addr = MiB(1) - 1;
    EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4,
                                      AllocateMaxAddress, EfiLoaderData, 1,
                                      &addr);
    return EFI_ERROR(st) ? 0 : (hpa_t)addr;
}

static hpa_t find_rsdp(void)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    hpa_t v1 = 0;
    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
        if (!CompareGuid(&t->VendorGuid, &acpi20))
            return (hpa_t)(uintptr_t)t->VendorTable;
        if (!CompareGuid(&t->VendorGuid, &acpi10))
            v1 = (hpa_t)(uintptr_t)t->VendorTable;
    }
    return v1;
}

/* Convert the firmware map into bi.mem. Called after ExitBootServices:
 * nothing here may call the firmware. */
static void convert_memory_map(const UINT8 *map, UINTN map_size,
                               UINTN desc_size)
{
    bi.nr_mem = 0;
    for (UINTN off = 0; off + desc_size <= map_size &&
                        bi.nr_mem < BOOT_MAX_MEM_RANGES; off += desc_size) {
        const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
        uint32_t kind;
        switch (d->Type) {
        case EfiConventionalMemory:
            kind = MEM_FREE;
            break;
        case EfiLoaderCode:
        case EfiLoaderData:
            kind = MEM_KEEL;  /* Keel's image, its files, this map */
            break;
        case EfiACPIReclaimMemory:
        case EfiACPIMemoryNVS:
            kind = MEM_ACPI;
            break;
        default:
            /* Boot-services memory holds the stack Keel still runs on;
             * runtime and MMIO belong to the firmware. */
            kind = MEM_RESERVED;
            break;
        }
        bi.mem[bi.nr_mem++] = (struct mem_range){
            .base = d->PhysicalStart, .pages = d->NumberOfPages,
            .kind = kind, .efi_type = d->Type,
        };
    }
}

static EFI_STATUS exit_boot_services(EFI_HANDLE image)
{
    UINTN map_size = 0, map_key = 0, desc_size = 0, buf_size = 0;
    UINT32 desc_ver = 0;
    UINT8 *map = NULL;
    EFI_STATUS st = EFI_SUCCESS;

    for (int tries = 0; tries < 8; tries++) {
        map_size = buf_size;
        st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size,
                               (EFI_MEMORY_DESCRIPTOR *)map, &map_key,
                               &desc_size, &desc_ver);
        if (st == EFI_BUFFER_TOO_SMALL) {
            /* Room for the map plus the descriptors this allocation adds. */
            buf_size = map_size + 16 * desc_size;
            if (map)
                uefi_call_wrapper(BS->FreePool, 1, map);
            st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData,
                                   buf_size, (void **)&map);
            if (EFI_ERROR(st))
                return st;
            continue;
        }
        if (EFI_ERROR(st))
            return st;
        st = uefi_call_wrapper(BS->ExitBootServices, 2, image, map_key);
        if (!EFI_ERROR(st)) {
            convert_memory_map(map, map_size, desc_size);
            return EFI_SUCCESS;
        }
        /* The map changed between the two calls: fetch it again. */
    }
    return st;
}

/* Everything up to ExitBootServices; returns only on an error. */
static EFI_STATUS boot(EFI_HANDLE image)
{
    EFI_LOADED_IMAGE *li = NULL;
    EFI_STATUS st;
    char err[200];

    st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
                           (void **)&li);
    if (EFI_ERROR(st)) {
        boot_msg("keel: error: no loaded-image protocol (%s)\n",
                 efi_status_name(st));
        return st;
    }
    bi.image_base = (hpa_t)(uintptr_t)li->ImageBase;
    bi.image_size = li->ImageSize;
    keel_image_base = bi.image_base;
    keel_image_size = bi.image_size;
    boot_msg("keel: Keel hypervisor, image at %#llx (%llu bytes)\n",
             (unsigned long long)bi.image_base,
             (unsigned long long)bi.image_size);

    /* A CPU without usable VT-x/AMD-V is refused here, while the
     * firmware can still take over (its next boot option, its menu). */
    struct virt_facts facts;
    virt_facts_read(&facts);
    const char *why = virt_check(&facts);
    if (why) {
        boot_msg("keel: error: cannot start: %s\n"
                 "keel: returning to the firmware\n", why);
        return EFI_UNSUPPORTED;
    }

    struct boot_volume vol;
    st = boot_volume_open(li->DeviceHandle, &vol);
    if (EFI_ERROR(st)) {
        boot_msg("keel: error: cannot open the boot volume (%s)\n",
                 efi_status_name(st));
        return st;
    }

    struct blob cfg_text;
    st = boot_load_file(&vol, CONFIG_PATH, &cfg_text);
    if (EFI_ERROR(st)) {
        boot_msg("keel: error: %s: %s\n", CONFIG_PATH, efi_status_name(st));
        return st;
    }
    if (config_parse(cfg_text.data, cfg_text.size, &bi.cfg, err,
                     sizeof(err))) {
        boot_msg("keel: error: %s\n", err);
        return EFI_LOAD_ERROR;
    }

    for (unsigned i = 0; i < bi.cfg.nr_vms; i++) {
        const struct vm_config *vc = &bi.cfg.vms[i];
        st = boot_load_file(&vol, vc->kernel, &bi.files[i].kernel);
        if (EFI_ERROR(st)) {
            boot_msg("keel: error: vm %s: kernel %s: %s\n", vc->name,
                     vc->kernel, efi_status_name(st));
            return st;
        }
        if (vc->initrd[0]) {
            st = boot_load_file(&vol, vc->initrd, &bi.files[i].initrd);
            if (EFI_ERROR(st)) {
                boot_msg("keel: error: vm %s: initrd %s: %s\n", vc->name,
                         vc->initrd, efi_status_name(st));
                return st;
            }
        }
        for (unsigned d = 0; d < vc->nr_devices; d++) {
            const struct device_config *dc = &vc->devices[d];
            if (strcmp(dc->type, "virtio-blk"))
                continue;   /* only disk images are files */
            st = boot_load_file(&vol, dc->arg, &bi.files[i].devices[d]);
            if (EFI_ERROR(st)) {
                boot_msg("keel: error: vm %s: disk image %s: %s\n",
                         vc->name, dc->arg, efi_status_name(st));
                return st;
            }
            boot_msg("keel: vm %s: loaded disk image %s (%llu bytes)\n",
                     vc->name, dc->arg,
                     (unsigned long long)bi.files[i].devices[d].size);
        }
        boot_msg("keel: vm %s: loaded %s (%llu bytes)%s%s\n", vc->name,
                 vc->kernel, (unsigned long long)bi.files[i].kernel.size,
                 vc->initrd[0] ? " and " : "", vc->initrd);
    }
    find_framebuffer();
    bi.rsdp = find_rsdp();
    bi.ap_trampoline = reserve_ap_trampoline();
    bi.nr_fw_cpus = boot_find_cpus(bi.fw_cpus, PERCPU_MAX);
    boot_msg("keel: ACPI RSDP %s, exiting boot services\n",
             bi.rsdp ? "found" : "not found");

    st = exit_boot_services(image);
    if (EFI_ERROR(st)) {
        boot_msg("keel: error: ExitBootServices failed (%s)\n",
                 efi_status_name(st));
        return st;
    }
    hv_main(&bi);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    InitializeLib(image, systab);
    platform_console_init();
    /* lib/log.h: the log's sink. The screen joins it in hv_main, after
     * ExitBootServices. */
    log_set_output(console_write);
    conout_is_serial = conout_has_uart();
    uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
    EFI_STATUS st = boot(image);
    hold_error_on_screen();
    return st;
}
