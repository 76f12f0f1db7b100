/*
 * A map component's job in the personal pool, started warm: the job's program asks the pool's
 * warm starter (htc_entrypoint/warm_start.py, a Python with HTMap's run script's imports done)
 * to fork it a process that runs PROGRAM ARGS... there: in this job's folder, with this job's
 * environment, umask and standard streams. It saves the new interpreter and its imports
 * (about 0.15 s of the 0.3 s a component held its slot).
 *
 *   htc-warm-start SOCKET PROGRAM [ARGS...]
 *
 * The job stays HTCondor's: this process is the job's and lives exactly as long as the fork.
 * Signals HTCondor sends it (hold, remove) are passed on to the fork's process group; if
 * HTCondor kills it outright, the starter sees its connection close and ends that group. The
 * fork's wait status becomes this one's. With no starter to answer, or told to, it runs
 * PROGRAM ARGS itself, cold, as before; so it does if the starter goes away before the fork
 * ends (the fork's group ended first), unless it was told to stop meanwhile.
 *
 * Request: a 4-byte length, then NUL-terminated strings: the folder, the umask in octal, the
 * number of arguments, the arguments, then the environment; fds 0, 1 and 2 ride along.
 * Replies, 4 bytes each: the fork's pid (or -1: run it cold), then its wait status.
 * Signals to pass on go the other way, 4 bytes each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define FORWARDED (sizeof forwarded / sizeof forwarded[0])

static int starter = -1;
static volatile sig_atomic_t told_to_stop = 0;

static void pass_on(int sig)
{
    int32_t message = sig;
    told_to_stop = sig;
    /* If the starter is gone, no status comes: told_to_stop then ends this process. */
    (void)!send(starter, &message, sizeof message, MSG_NOSIGNAL);
}

static void set_forwarded(void (*handler)(int))
{
    struct sigaction action = {.sa_handler = handler};
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < FORWARDED; i++)
        sigaction(forwarded[i], &action, NULL);
}

/* Run PROGRAM ARGS here; a signal that came meanwhile (blocked until now) acts as it would. */
static void cold(char **argv, const sigset_t *unblocked)
{
    if (starter >= 0)
        close(starter);
    if (told_to_stop) {
        signal(told_to_stop, SIG_DFL);
        sigprocmask(SIG_SETMASK, unblocked, NULL);
        raise(told_to_stop);
    }
    set_forwarded(SIG_DFL);
    sigprocmask(SIG_SETMASK, unblocked, NULL);
    execv(argv[0], argv);
    fprintf(stderr, "htc-warm-start: cannot run %s: %s\n", argv[0], strerror(errno));
    exit(127);
}

struct buffer {
    char *data;
    size_t used, size;
};

static void put(struct buffer *b, const char *text)
{
    size_t n = strlen(text) + 1;
    if (b->used + n > b->size) {
        b->size = 2 * (b->used + n);
        b->data = realloc(b->data, b->size);
        if (b->data == NULL) {
            perror("htc-warm-start");
            exit(1);
        }
    }
    memcpy(b->data + b->used, text, n);
    b->used += n;
}

static int send_request(int fd, struct buffer *b)
{
    uint32_t length = (uint32_t)(b->used - sizeof length);
    memcpy(b->data, &length, sizeof length);
    int fds[3] = {0, 1, 2};
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec iov = {b->data, b->used};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
    ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (sent < 0)
        return -1;
    for (size_t done = (size_t)sent; done < b->used; done += (size_t)sent) {
        sent = send(fd, b->data + done, b->used - done, MSG_NOSIGNAL);
        if (sent < 0)
            return -1;
    }
    return 0;
}

/* One 4-byte reply; 0 when it came, -1 when the starter went away. */
static int reply(int32_t *value)
{
    size_t got = 0;
    while (got < sizeof *value) {
        ssize_t n = read(starter, (char *)value + got, sizeof *value - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: htc-warm-start SOCKET PROGRAM [ARGS...]\n");
        return 2;
    }
    char **command = argv + 2;
    /* Until the fork is there to receive them, signals wait. */
    sigset_t waiting, unblocked;
    sigemptyset(&waiting);
    for (size_t i = 0; i < FORWARDED; i++)
        sigaddset(&waiting, forwarded[i]);
    sigprocmask(SIG_BLOCK, &waiting, &unblocked);

    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof address.sun_path)
        cold(command, &unblocked);
    strcpy(address.sun_path, argv[1]);
    starter = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (starter < 0 || connect(starter, (struct sockaddr *)&address, sizeof address) < 0)
        cold(command, &unblocked);

    struct buffer request = {malloc(4096), sizeof(uint32_t), 4096};
    if (request.data == NULL)
        cold(command, &unblocked);
    char number[32];
    char *folder = getcwd(NULL, 0);
    if (folder == NULL)
        cold(command, &unblocked);
    put(&request, folder);
    mode_t mask = umask(0);
    umask(mask);
    snprintf(number, sizeof number, "%o", (unsigned)mask);
    put(&request, number);
    snprintf(number, sizeof number, "%d", argc - 2);
    put(&request, number);
    for (int i = 2; i < argc; i++)
        put(&request, argv[i]);
    for (char **entry = environ; *entry != NULL; entry++)
        put(&request, *entry);

    int32_t fork_pid, status;
    if (send_request(starter, &request) < 0 || reply(&fork_pid) < 0 || fork_pid <= 0)
        cold(command, &unblocked);
    set_forwarded(pass_on);
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    if (reply(&status) < 0) {
        /* The starter went away before the fork ended: end what the fork left, then run cold. */
        sigprocmask(SIG_BLOCK, &waiting, NULL);
        kill(-fork_pid, SIGKILL);
        cold(command, &unblocked);
    }
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
