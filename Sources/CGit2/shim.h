#ifndef MLV_CGIT2_SHIM_H
#define MLV_CGIT2_SHIM_H
#include <git2.h>

/* git_libgit2_opts is variadic and does not import into Swift. */
static inline int mlv_git_disable_owner_validation(int disabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, disabled ? 0 : 1);
}
#endif
