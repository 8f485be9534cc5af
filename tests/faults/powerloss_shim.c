/* powerloss_shim: an LD_PRELOAD library that records, for every file under
 * $HYDRANT_POWERLOSS_ROOT, which bytes were made durable by fsync/fdatasync.
 *
 * Writes go through to the file (the process must read back what it wrote, as it would from the
 * page cache), but each one is logged to $HYDRANT_POWERLOSS_LOG *before* it happens, and each
 * successful fsync/fdatasync is logged *after* it returns, with the file's size then. After a
 * SIGKILL the test replays the log and truncates every file written since its last sync back to
 * the size it had at that sync: what a power cut would leave of appended data. Renames, unlinks
 * and truncations are logged so the replay can follow a file to its final name.
 *
 * Not simulated: loss of directory entries (a rename or create without a directory fsync is
 * treated as durable), reordering or tearing inside one write, in-place overwrites (Hydrant only
 * appends or writes new temp files).
 *
 * Log lines: "W <path>", "S <size> <path>", "T <size> <path>", "R <from>\t<to>", "U <path>".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FDS 65536

static char root[4096];
static size_t root_len;
static int log_fd = -1;
static char *fd_paths[MAX_FDS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);
static int (*real_unlink)(const char *);
static int (*real_truncate)(const char *, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);

static void init(void);
static pthread_once_t once = PTHREAD_ONCE_INIT;
#define ENSURE_INIT() pthread_once(&once, init)

__attribute__((constructor)) static void constructor(void) { ENSURE_INIT(); }

static void init(void) {
  real_write = dlsym(RTLD_NEXT, "write");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  real_close = dlsym(RTLD_NEXT, "close");
  real_rename = dlsym(RTLD_NEXT, "rename");
  real_renameat = dlsym(RTLD_NEXT, "renameat");
  real_renameat2 = dlsym(RTLD_NEXT, "renameat2");
  real_unlink = dlsym(RTLD_NEXT, "unlink");
  real_truncate = dlsym(RTLD_NEXT, "truncate");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
  real_open = dlsym(RTLD_NEXT, "open");
  real_open64 = dlsym(RTLD_NEXT, "open64");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_openat64 = dlsym(RTLD_NEXT, "openat64");
  const char *r = getenv("HYDRANT_POWERLOSS_ROOT");
  const char *l = getenv("HYDRANT_POWERLOSS_LOG");
  if (r && l && strlen(r) < sizeof(root)) {
    strcpy(root, r);
    root_len = strlen(root);
    log_fd = real_open(l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
}

static int watched(const char *path) {
  return log_fd >= 0 && path && strncmp(path, root, root_len) == 0;
}

/* One write(2) per line: O_APPEND keeps lines whole across threads, and a SIGKILL leaves every
 * line written before it in the page cache, hence in the log. */
static void log_line(const char *fmt, ...) {
  char line[8448];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (n > 0 && (size_t)n < sizeof(line)) real_write(log_fd, line, (size_t)n);
}

static void remember(int fd, const char *path, int flags) {
  if (fd < 0 || fd >= MAX_FDS || !watched(path) || (flags & O_ACCMODE) == O_RDONLY) return;
  pthread_mutex_lock(&mu);
  free(fd_paths[fd]);
  fd_paths[fd] = strdup(path);
  pthread_mutex_unlock(&mu);
  if (flags & O_TRUNC) log_line("T 0 %s\n", path);
}

/* Copies the path of fd into buf; 0 if fd is not a watched file open for writing. */
static int path_of(int fd, char *buf, size_t size) {
  int found = 0;
  if (fd < 0 || fd >= MAX_FDS) return 0;
  pthread_mutex_lock(&mu);
  if (fd_paths[fd]) {
    snprintf(buf, size, "%s", fd_paths[fd]);
    found = 1;
  }
  pthread_mutex_unlock(&mu);
  return found;
}

#define OPEN_WRAPPER(name, real, ...)                                      \
  int name(__VA_ARGS__, int flags, ...) {                                  \
    mode_t mode = 0;                                                       \
    ENSURE_INIT();                                                         \
    if (flags & (O_CREAT | O_TMPFILE)) {                                   \
      va_list ap;                                                          \
      va_start(ap, flags);                                                 \
      mode = va_arg(ap, mode_t);                                           \
      va_end(ap);                                                          \
    }

OPEN_WRAPPER(open, real_open, const char *path)
  int fd = real_open(path, flags, mode);
  remember(fd, path, flags);
  return fd;
}
OPEN_WRAPPER(open64, real_open64, const char *path)
  int fd = real_open64(path, flags, mode);
  remember(fd, path, flags);
  return fd;
}
OPEN_WRAPPER(openat, real_openat, int dirfd, const char *path)
  int fd = real_openat(dirfd, path, flags, mode);
  if (path[0] == '/') remember(fd, path, flags);
  return fd;
}
OPEN_WRAPPER(openat64, real_openat64, int dirfd, const char *path)
  int fd = real_openat64(dirfd, path, flags, mode);
  if (path[0] == '/') remember(fd, path, flags);
  return fd;
}

ssize_t write(int fd, const void *buf, size_t count) {
  ENSURE_INIT();
  char path[4096];
  if (count > 0 && path_of(fd, path, sizeof(path))) log_line("W %s\n", path);
  return real_write(fd, buf, count);
}

static int synced(int fd, int rc) {
  char path[4096];
  struct stat st;
  if (rc == 0 && path_of(fd, path, sizeof(path)) && fstat(fd, &st) == 0)
    log_line("S %lld %s\n", (long long)st.st_size, path);
  return rc;
}

int fsync(int fd) { ENSURE_INIT(); return synced(fd, real_fsync(fd)); }
int fdatasync(int fd) { ENSURE_INIT(); return synced(fd, real_fdatasync(fd)); }

int close(int fd) {
  ENSURE_INIT();
  if (fd >= 0 && fd < MAX_FDS) {
    pthread_mutex_lock(&mu);
    free(fd_paths[fd]);
    fd_paths[fd] = NULL;
    pthread_mutex_unlock(&mu);
  }
  return real_close(fd);
}

int rename(const char *from, const char *to) {
  ENSURE_INIT();
  int rc = real_rename(from, to);
  if (rc == 0 && (watched(from) || watched(to))) log_line("R %s\t%s\n", from, to);
  return rc;
}

int renameat(int fromfd, const char *from, int tofd, const char *to) {
  ENSURE_INIT();
  int rc = real_renameat(fromfd, from, tofd, to);
  if (rc == 0 && from[0] == '/' && to[0] == '/' && (watched(from) || watched(to)))
    log_line("R %s\t%s\n", from, to);
  return rc;
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags) {
  ENSURE_INIT();
  int rc = real_renameat2(fromfd, from, tofd, to, flags);
  if (rc == 0 && from[0] == '/' && to[0] == '/' && (watched(from) || watched(to)))
    log_line("R %s\t%s\n", from, to);
  return rc;
}

int unlink(const char *path) {
  ENSURE_INIT();
  int rc = real_unlink(path);
  if (rc == 0 && watched(path)) log_line("U %s\n", path);
  return rc;
}

int truncate(const char *path, off_t length) {
  ENSURE_INIT();
  int rc = real_truncate(path, length);
  if (rc == 0 && watched(path)) log_line("T %lld %s\n", (long long)length, path);
  return rc;
}

int ftruncate(int fd, off_t length) {
  ENSURE_INIT();
  char path[4096];
  int rc = real_ftruncate(fd, length);
  if (rc == 0 && path_of(fd, path, sizeof(path))) log_line("T %lld %s\n", (long long)length, path);
  return rc;
}
