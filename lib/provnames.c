/* SPDX-License-Identifier: MIT */
/*
 * The names of provenance verdicts' enums (provenance.h, exeimage.h), apart
 * from the code that makes verdicts: records are written and read back
 * without libcrypto (the CLI links no hashing).
 */
#include "exeimage.h"
#include "provenance.h"

const char *sa_prov_status_name(sa_prov_status s)
{
        switch (s) {
        case SA_PROV_VERIFIED:
                return "verified";
        case SA_PROV_MODIFIED:
                return "modified";
        case SA_PROV_NOT_PACKAGED:
                return "not_packaged";
        case SA_PROV_DELETED:
                return "deleted";
        case SA_PROV_UNVERIFIABLE:
        default:
                return "unverifiable";
        }
}

const char *sa_exe_location_name(sa_exe_location l)
{
        switch (l) {
        case SA_EXE_MEMFD:
                return "memfd";
        case SA_EXE_DELETED:
                return "deleted";
        case SA_EXE_TMP:
                return "tmp";
        case SA_EXE_WORLD_WRITABLE_DIR:
                return "world_writable_dir";
        case SA_EXE_NORMAL:
        default:
                return "normal";
        }
}
