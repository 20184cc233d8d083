#ifndef MLV_CGIT2_SHIM_H
#define MLV_CGIT2_SHIM_H
#include <git2.h>

/* git_libgit2_opts is variadic and does not import into Swift. */
static inline int mlv_git_disable_owner_validation(int disabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, disabled ? 0 : 1);
}

/* Whether every object read is hashed again and compared with its id. */
static inline int mlv_git_verify_object_hashes(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled ? 1 : 0);
}

#endif
