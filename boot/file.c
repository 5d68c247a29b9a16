/* Loading files from the boot volume (UEFI 2.9, 13.4 "Simple File System
 * Protocol", 13.5 "File Protocol"). */
#include <efi.h>
#include <efilib.h>
#include "boot/boot.h"
#include "hv/core/config.h"

EFI_STATUS boot_volume_open(EFI_HANDLE device, struct boot_volume *vol)
{
    vol->root = LibOpenRoot(device);
    return vol->root ? EFI_SUCCESS : EFI_NOT_FOUND;
}

EFI_STATUS boot_load_file(struct boot_volume *vol, const char *path,
                          struct blob *out)
{
    CHAR16 wpath[CFG_PATH_MAX];
    EFI_FILE_HANDLE f;
    EFI_STATUS st;
    size_t i;

    for (i = 0; path[i] && i + 1 < ARRAY_SIZE(wpath); i++)
        wpath[i] = path[i] == '/' ? L'\\' : (CHAR16)(unsigned char)path[i];
    wpath[i] = 0;

    st = uefi_call_wrapper(vol->root->Open, 5, vol->root, &f, wpath,
                           EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(st))
        return st;
    EFI_FILE_INFO *info = LibFileInfo(f);
    if (!info) {
        uefi_call_wrapper(f->Close, 1, f);
        return EFI_DEVICE_ERROR;
    }
    UINT64 size = info->FileSize;
    bool is_dir = info->Attribute & EFI_FILE_DIRECTORY;
    FreePool(info);
    if (is_dir || size == 0) {
        uefi_call_wrapper(f->Close, 1, f);
        return EFI_LOAD_ERROR;
    }

    EFI_PHYSICAL_ADDRESS addr = 0;
    UINTN pages = (size + 4095) / 4096;
    st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
                           EfiLoaderData, pages, &addr);
    if (EFI_ERROR(st)) {
        uefi_call_wrapper(f->Close, 1, f);
        return st;
    }
    /* Read in chunks: some firmware file systems cap a single Read. */
    UINT64 done = 0;
    while (done < size) {
        UINTN chunk = size - done > (16u << 20) ? (16u << 20) : size - done;
        st = uefi_call_wrapper(f->Read, 3, f, &chunk,
                               (void *)(uintptr_t)(addr + done));
        if (EFI_ERROR(st) || chunk == 0) {
            uefi_call_wrapper(BS->FreePages, 2, addr, pages);
            uefi_call_wrapper(f->Close, 1, f);
            return EFI_ERROR(st) ? st : EFI_END_OF_FILE;
        }
        done += chunk;
    }
    uefi_call_wrapper(f->Close, 1, f);
    out->data = (const void *)(uintptr_t)addr;
    out->size = size;
    return EFI_SUCCESS;
}

const char *efi_status_name(EFI_STATUS st)
{
    switch (st) {
    case EFI_SUCCESS: return "EFI_SUCCESS";
    case EFI_LOAD_ERROR: return "EFI_LOAD_ERROR (empty or not a file)";
    case EFI_INVALID_PARAMETER: return "EFI_INVALID_PARAMETER";
    case EFI_UNSUPPORTED: return "EFI_UNSUPPORTED";
    case EFI_BUFFER_TOO_SMALL: return "EFI_BUFFER_TOO_SMALL";
    case EFI_DEVICE_ERROR: return "EFI_DEVICE_ERROR (read failed)";
    case EFI_OUT_OF_RESOURCES: return "EFI_OUT_OF_RESOURCES (not enough memory)";
    case EFI_NOT_FOUND: return "EFI_NOT_FOUND (no such file)";
    case EFI_ACCESS_DENIED: return "EFI_ACCESS_DENIED";
    case EFI_END_OF_FILE: return "EFI_END_OF_FILE (file shorter than its size)";
    case EFI_VOLUME_CORRUPTED: return "EFI_VOLUME_CORRUPTED";
    default: return "EFI error";
    }
}
