/*
 * HTCondor's daemons refuse to act for group 0 even when they run unprivileged
 * and could not switch ids anyway ("Attempt to initialize user_priv with root
 * privileges rejected"). An arbitrary uid comes with group 0 (docker run --user
 * 12345:0, OpenShift), so the entrypoint preloads this into the personal pool's
 * daemons: they are told HTC_REPORTED_GID instead of 0. Nothing else changes:
 * the kernel still uses the real group for every file and permission.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static gid_t reported(gid_t real)
{
    const char *value = getenv("HTC_REPORTED_GID");
    return (real == 0 && value != NULL && *value != '\0') ? (gid_t)strtoul(value, NULL, 10) : real;
}

gid_t getgid(void) { return reported((gid_t)syscall(SYS_getgid)); }

gid_t getegid(void) { return reported((gid_t)syscall(SYS_getegid)); }
