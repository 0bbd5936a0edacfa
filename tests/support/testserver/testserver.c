/* testserver: a tiny static HTTP server that integration tests can tell to misbehave.
 *
 * It is the only process in the medic-testserver image (FROM scratch), so it is plain C with no
 * dependencies, built with `gcc -static -O2`. It runs with `--network host` and listens on
 * 0.0.0.0:$PORT (default 8080). Each connection is handled on its own thread, so one slow client
 * never blocks another; the control endpoints flip process-wide modes.
 *
 * Endpoints (GET or POST):
 *   /                     200 "ok <APP_VERSION|v1> <hostname>\n"  (500 after /control/status500)
 *   /health               200 "healthy\n" or 500 "unhealthy\n"
 *   /control/unhealthy    /health answers 500 from now on      /control/healthy  undoes it
 *   /control/status500    / answers 500 from now on            /control/ok       undoes it
 *   /control/hang         answered, then every later request is accepted and never answered
 *                         (the process stays alive but serves nothing: a "hung" service)
 *   /control/exit?code=N  answered, then the process exits with status N
 *   /control/crash        answered, then abort(). As PID 1 of a container SIGABRT is ignored, so
 *                         glibc's abort() ends in SIGSEGV: exit code 139 in Docker (134 elsewhere)
 *
 * Environment read at start:
 *   PORT=N             port to listen on (default 8080)
 *   START_DELAY_MS=N   sleep N ms before listening (a slow starter)
 *   EXIT_AT_START=N    exit with status N immediately (a bad image)
 *   NEVER_HEALTHY=1    /health always answers 500
 *   HEALTH_DELAY_MS=N  /health answers 500 until N ms after start (a service that warms up)
 *   APP_VERSION=S      version reported by / (default "v1")
 *
 * `testserver probe` is the image's HEALTHCHECK: GET http://127.0.0.1:$PORT/health with a 1 s
 * deadline; exit 0 on status 200, else 1.
 *
 * SIGTERM and SIGINT exit 0 at once: as PID 1 in a container the default action would be to
 * ignore them, and `docker stop` would wait out its full timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { kMaxRequest = 8192, kMaxBody = 65536 };

static atomic_int g_unhealthy;
static atomic_int g_status500;
static atomic_int g_hang;
static int g_never_healthy;
static long g_health_delay_ms;
static struct timespec g_started;
static const char* g_version = "v1";
static char g_hostname[256] = "unknown";

static long envLong(const char* name, long fallback) {
  const char* value = getenv(name);
  if (value == NULL || *value == '\0') return fallback;
  char* end = NULL;
  long parsed = strtol(value, &end, 10);
  if (*end != '\0') {
    fprintf(stderr, "testserver: %s=%s is not an integer; using %ld\n", name, value, fallback);
    return fallback;
  }
  return parsed;
}

static long msSince(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

static void sleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void onTerminate(int sig) {
  (void)sig;
  _exit(0);
}

static int writeAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static void respond(int fd, int status, const char* body) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Internal Server Error";
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   status, reason, strlen(body));
  if (writeAll(fd, head, (size_t)n) == 0) writeAll(fd, body, strlen(body));
}

/* Holds a connection open without answering until the peer gives up: a hung service. */
static void hangOn(int fd) {
  char sink[1024];
  for (;;) {
    ssize_t n = recv(fd, sink, sizeof sink, 0);
    if (n == 0) return;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
  }
}

/* Reads the request head (and a declared body, so closing never resets the connection before the
 * client has read the answer). Returns the head length, or -1 on a closed or oversized request. */
static int readRequest(int fd, char* buf, size_t cap) {
  size_t len = 0;
  char* end = NULL;
  while (end == NULL) {
    if (len + 1 >= cap) return -1;
    ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    len += (size_t)n;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  size_t head_len = (size_t)(end - buf) + 4;
  long body_len = 0;
  const char* cl = strcasestr(buf, "\r\ncontent-length:");
  if (cl != NULL && cl < end) body_len = strtol(cl + 17, NULL, 10);
  if (body_len > kMaxBody) body_len = kMaxBody;
  long pending = body_len - (long)(len - head_len);
  char sink[1024];
  while (pending > 0) {
    ssize_t n = recv(fd, sink, pending < (long)sizeof sink ? (size_t)pending : sizeof sink, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending -= n;
  }
  return (int)head_len;
}

static int healthy(void) {
  if (g_never_healthy || atomic_load(&g_unhealthy)) return 0;
  return msSince(&g_started) >= g_health_delay_ms;
}

/* Serves one request on fd. Control actions that end the process run after the answer is sent. */
static void serve(int fd) {
  char buf[kMaxRequest];
  if (atomic_load(&g_hang)) {
    hangOn(fd);
    return;
  }
  if (readRequest(fd, buf, sizeof buf) < 0) return;
  if (atomic_load(&g_hang)) {
    hangOn(fd);
    return;
  }
  char method[16] = "", target[1024] = "";
  if (sscanf(buf, "%15s %1023s", method, target) != 2) {
    respond(fd, 404, "bad request line\n");
    return;
  }
  char* query = strchr(target, '?');
  if (query != NULL) *query++ = '\0';

  char body[512];
  if (strcmp(target, "/") == 0) {
    snprintf(body, sizeof body, "ok %s %s\n", g_version, g_hostname);
    respond(fd, atomic_load(&g_status500) ? 500 : 200, body);
  } else if (strcmp(target, "/health") == 0) {
    if (healthy()) {
      respond(fd, 200, "healthy\n");
    } else {
      respond(fd, 500, "unhealthy\n");
    }
  } else if (strcmp(target, "/control/unhealthy") == 0) {
    atomic_store(&g_unhealthy, 1);
    respond(fd, 200, "health answers 500 from now on\n");
  } else if (strcmp(target, "/control/healthy") == 0) {
    atomic_store(&g_unhealthy, 0);
    respond(fd, 200, "health answers 200 from now on\n");
  } else if (strcmp(target, "/control/status500") == 0) {
    atomic_store(&g_status500, 1);
    respond(fd, 200, "/ answers 500 from now on\n");
  } else if (strcmp(target, "/control/ok") == 0) {
    atomic_store(&g_status500, 0);
    respond(fd, 200, "/ answers 200 from now on\n");
  } else if (strcmp(target, "/control/hang") == 0) {
    respond(fd, 200, "hanging from now on\n");
    atomic_store(&g_hang, 1);
    fprintf(stderr, "testserver: hanging on request\n");
  } else if (strcmp(target, "/control/exit") == 0) {
    int code = 0;
    if (query != NULL && strncmp(query, "code=", 5) == 0) code = atoi(query + 5);
    snprintf(body, sizeof body, "exiting with %d\n", code);
    respond(fd, 200, body);
    shutdown(fd, SHUT_WR);
    fprintf(stderr, "testserver: exiting with %d on request\n", code);
    _exit(code);
  } else if (strcmp(target, "/control/crash") == 0) {
    respond(fd, 200, "crashing\n");
    shutdown(fd, SHUT_WR);
    fprintf(stderr, "testserver: aborting on request\n");
    abort();
  } else {
    respond(fd, 404, "not found\n");
  }
}

static void* connectionThread(void* arg) {
  int fd = (int)(long)arg;
  serve(fd);
  close(fd);
  return NULL;
}

static int runServer(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    perror("testserver: socket");
    return 2;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    fprintf(stderr, "testserver: cannot bind 0.0.0.0:%d: %s (is the port in use?)\n", port,
            strerror(errno));
    return 2;
  }
  if (listen(fd, 128) != 0) {
    perror("testserver: listen");
    return 2;
  }
  fprintf(stderr, "testserver %s listening on 0.0.0.0:%d\n", g_version, port);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  for (;;) {
    int client = accept(fd, NULL, NULL);
    if (client < 0) {
      if (errno == EMFILE || errno == ENFILE) sleepMs(50);
      continue;
    }
    /* A client that stops talking costs a thread for at most this long (except in hang mode). */
    struct timeval tv = {5, 0};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pthread_t thread;
    if (pthread_create(&thread, &attr, connectionThread, (void*)(long)client) != 0) close(client);
  }
}

/* The HEALTHCHECK command: exit 0 only if /health answers 200 within 1 s. */
static int runProbe(int port) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const long budget_ms = 1000;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return 1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0 && errno != EINPROGRESS) return 1;

  char request[128];
  int req_len =
      snprintf(request, sizeof request,
               "GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", port);
  int sent = 0;
  char response[512];
  size_t got = 0;
  for (;;) {
    long left = budget_ms - msSince(&start);
    if (left <= 0) return 1;
    struct pollfd pfd = {fd, (short)(sent < req_len ? POLLOUT : POLLIN), 0};
    int ready = poll(&pfd, 1, (int)left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return 1;
    if (sent < req_len) {
      ssize_t n = send(fd, request + sent, (size_t)(req_len - sent), MSG_NOSIGNAL);
      if (n < 0) return 1; /* includes a refused connection */
      sent += (int)n;
      continue;
    }
    ssize_t n = recv(fd, response + got, sizeof response - 1 - got, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    got += (size_t)n;
    response[got] = '\0';
    if (strchr(response, '\n') != NULL || got + 1 >= sizeof response) break;
  }
  response[got] = '\0';
  int status = 0;
  if (sscanf(response, "HTTP/%*s %d", &status) != 1) return 1;
  return status == 200 ? 0 : 1;
}

int main(int argc, char** argv) {
  int port = (int)envLong("PORT", 8080);
  if (port <= 0 || port > 65535) {
    fprintf(stderr, "testserver: PORT=%d is out of range 1..65535\n", port);
    return 2;
  }
  if (argc > 1 && strcmp(argv[1], "probe") == 0) return runProbe(port);
  if (argc > 1) {
    fprintf(stderr, "usage: testserver [probe]   (configured by env, see the source header)\n");
    return 2;
  }

  signal(SIGTERM, onTerminate);
  signal(SIGINT, onTerminate);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stderr, NULL, _IOLBF, 0);

  long exit_at_start = envLong("EXIT_AT_START", -1);
  if (exit_at_start >= 0) {
    fprintf(stderr, "testserver: EXIT_AT_START=%ld, exiting\n", exit_at_start);
    return (int)exit_at_start;
  }
  const char* version = getenv("APP_VERSION");
  if (version != NULL && *version != '\0') g_version = version;
  g_never_healthy = envLong("NEVER_HEALTHY", 0) != 0;
  g_health_delay_ms = envLong("HEALTH_DELAY_MS", 0);
  gethostname(g_hostname, sizeof g_hostname - 1);
  clock_gettime(CLOCK_MONOTONIC, &g_started);

  long start_delay_ms = envLong("START_DELAY_MS", 0);
  if (start_delay_ms > 0) sleepMs(start_delay_ms);
  return runServer(port);
}
