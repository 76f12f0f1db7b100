/*
 * A map component's job in the personal pool, started warm: the job's program asks the pool's
 * warm starter (htc_warm_start, a Python with HTMap's run script's imports already done) to
 * fork it a process that runs PROGRAM ARGS... here: in this job's folder, with this job's
 * environment, umask and standard streams. It saves the new interpreter and its imports
 * (about 0.15 s of the 0.3 s a component held its slot).
 *
 *   htc-warm-start SOCKET PROGRAM [ARGS...]
 *
 * The job stays HTCondor's: this process is the job's and lives exactly as long as the forked
 * one. A signal HTCondor sends it (hold, remove) is passed on to the forked process's group; if
 * HTCondor kills it outright, the starter sees its connection close and kills that group. The
 * forked process's exit status becomes this one's. With no starter to answer (none running, or
 * it went away before the component ended), it runs PROGRAM ARGS itself, cold, as before.
 *
 * Request: a 4-byte length, then NUL-terminated strings: the folder, the umask in octal, the
 * number of arguments, the arguments, then the environment; fds 0, 1 and 2 ride along. Replies:
 * one 4-byte wait status when it ends, or -1: run it cold (not a Python script of the starter's).
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

static int starter = -1;
static volatile sig_atomic_t passed_on = 0;

static void pass_on(int sig)
{
    int32_t message = sig;
    passed_on = sig;
    /* Best effort: if the starter is gone, the status never comes and we run cold. */
    if (write(starter, &message, sizeof message) < 0) {
    }
}

static void cold(char **argv)
{
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

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: htc-warm-start SOCKET PROGRAM [ARGS...]\n");
        return 2;
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof address.sun_path)
        cold(argv + 2);
    strcpy(address.sun_path, argv[1]);
    starter = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (starter < 0 || connect(starter, (struct sockaddr *)&address, sizeof address) < 0)
        cold(argv + 2);

    struct buffer request = {malloc(4096), sizeof(uint32_t), 4096};
    char number[32];
    char *folder = getcwd(NULL, 0);
    put(&request, folder != NULL ? folder : ".");
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

    int passed[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    struct sigaction action = {.sa_handler = pass_on};
    for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++)
        sigaction(passed[i], &action, NULL);
    if (send_request(starter, &request) < 0)
        cold(argv + 2);

    int32_t status;
    size_t got = 0;
    while (got < sizeof status) {
        ssize_t n = read(starter, (char *)&status + got, sizeof status - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 && passed_on) {
            /* Told to stop, and the starter went away: stop. */
            signal(passed_on, SIG_DFL);
            raise(passed_on);
        }
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof status || status == -1) {
        /* The starter went away before the component ended, or cannot run it: run it here, cold. */
        close(starter);
        for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++)
            signal(passed[i], SIG_DFL);
        cold(argv + 2);
    }
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
