/* A different request body for every h2load request: LD_PRELOAD=h2load_bodies.so h2load -d FIRST ...
 *
 * h2load sends the file given with -d as the body of every request, reading it with pread() each time.
 * That suits GetUser or ListUsers, but CreateUser needs a new email per call and DeleteUser a new id.
 * This library, preloaded into h2load, hands each such read the next record of BODIES_FILE instead: records
 * of BODY_SIZE bytes, each one complete gRPC message (5-byte prefix + protobuf), all of the same size because
 * h2load sends (and announces in content-length) the size of the -d file. BODIES_DATA names that -d file,
 * so that no other read is touched. The study builds the files and compiles this with `cc -shared`.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_pread)(int, void *, size_t, off_t);
static const char *records;
static size_t record_size, record_count;
static atomic_size_t next_record;
static dev_t data_dev;
static ino_t data_ino;
static int data_fd = -1;

__attribute__((constructor)) static void load(void) {
    real_pread = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
    const char *path = getenv("BODIES_FILE"), *size = getenv("BODY_SIZE"), *data = getenv("BODIES_DATA");
    struct stat st;
    if (!path || !size || !data || stat(data, &st) != 0) return;
    data_dev = st.st_dev;
    data_ino = st.st_ino;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) return;
    record_size = strtoul(size, NULL, 10);
    if (record_size == 0 || st.st_size < (off_t)record_size) return;
    record_count = st.st_size / record_size;
    void *mapped = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    records = mapped == MAP_FAILED ? NULL : mapped;
}

static int is_data_file(int fd) {
    struct stat st;
    if (fd == data_fd) return 1;
    if (data_fd < 0 && fstat(fd, &st) == 0 && st.st_dev == data_dev && st.st_ino == data_ino) {
        data_fd = fd;
        return 1;
    }
    return 0;
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset) {
    ssize_t read = real_pread(fd, buf, count, offset);
    if (records && offset == 0 && read == (ssize_t)record_size && is_data_file(fd)) {
        size_t index = atomic_fetch_add(&next_record, 1) % record_count;
        memcpy(buf, records + index * record_size, record_size);
    }
    return read;
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset) __attribute__((alias("pread64")));
