/* mockkafka: librdkafka's built-in mock Kafka cluster, run as a standalone
 * broker process for tests. It speaks the real Kafka wire protocol; all
 * state is in memory.
 *
 *   mockkafka [-b brokers] [-p port] [-t topic:partitions[:replicas]]... [-s]
 *
 *   -b N      number of brokers (ids 1..N, default 1)
 *   -p PORT   listen on PORT, PORT+1, ... (default: ephemeral ports)
 *   -t SPEC   create a topic at start-up (repeatable)
 *   -s        ignore stdin, serve until SIGINT/SIGTERM (for `mockkafka -s &`)
 *
 * Prints "BOOTSTRAP=<host:port,...>" on stdout once listening, then serves
 * until stdin reaches EOF (so it never outlives the process that spawned it)
 * or SIGINT/SIGTERM arrives. Commands on stdin, one per line, each answered
 * with "OK" or "ERR <reason>":
 *   topic <name> <partitions> [replicas]   create a topic
 *   down <broker-id|-1>                    take one broker (-1: all) down
 *   up <broker-id|-1>                      bring it back up
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static const char usage[] =
    "usage: mockkafka [-b brokers] [-p port] "
    "[-t topic:partitions[:replicas]]... [-s]\n";

static int next_port; /* 0: leave ports ephemeral */

/* The mock API always binds 127.0.0.1:0. A bind() defined in the executable
 * takes precedence over libc's for librdkafka too, so -p can rewrite the
 * mock listeners' port 0 to fixed ports. */
int bind(int fd, const struct sockaddr *addr, socklen_t len) {
        static int (*real_bind)(int, const struct sockaddr *, socklen_t);
        if (!real_bind)
                real_bind = dlsym(RTLD_NEXT, "bind");
        if (next_port && addr->sa_family == AF_INET &&
            len >= sizeof(struct sockaddr_in) &&
            ((const struct sockaddr_in *)addr)->sin_port == 0) {
                struct sockaddr_in sin = *(const struct sockaddr_in *)addr;
                sin.sin_port = htons((unsigned short)next_port++);
                return real_bind(fd, (struct sockaddr *)&sin, sizeof(sin));
        }
        return real_bind(fd, addr, len);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
        (void)sig;
        stop = 1;
        close(0); /* makes the blocking fgets() return */
}

/* "name<sep>partitions[<sep>replicas]"; prints "ERR ..." and returns -1 on failure. */
static int create_topic(rd_kafka_mock_cluster_t *mc, char *spec, const char *sep) {
        char *name = strtok(spec, sep), *p = strtok(NULL, sep),
             *r = strtok(NULL, sep);
        rd_kafka_resp_err_t err;
        if (!name || !p || atoi(p) < 1)
                return printf("ERR usage: topic <name> <partitions> [replicas]\n"), -1;
        err = rd_kafka_mock_topic_create(mc, name, atoi(p), r ? atoi(r) : 1);
        if (err)
                return printf("ERR %s\n", rd_kafka_err2str(err)), -1;
        return 0;
}

/* Fail early with a clear message if a fixed port is taken (the mock itself
 * would only log an error and keep running without that listener). */
static int check_ports_free(int first, int count) {
        for (int i = 0; i < count; i++) {
                struct sockaddr_in sin = {.sin_family = AF_INET,
                                          .sin_port = htons(first + i),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), busy;
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                busy = bind(s, (struct sockaddr *)&sin, sizeof(sin)) || listen(s, 1);
                close(s);
                if (busy)
                        return fprintf(stderr, "mockkafka: port %d: %m\n", first + i), -1;
        }
        return 0;
}

/* The mock reports ControllerId 0 while its brokers are 1..N, so kafkajs'
 * controller requests (InitProducerId for idempotent/transactional
 * producers, admin calls) fail with "Broker 0 not found". Point it at
 * broker 1 through the leading fields of the (private) cluster struct, but
 * only if their layout checks out. */
static void fix_controller_id(rd_kafka_mock_cluster_t *mc) {
        struct { char id[32]; rd_kafka_t *rk; int32_t controller_id; }
            *head = (void *)mc;
        if (head->rk == rd_kafka_mock_cluster_handle(mc) &&
            head->controller_id == 0)
                head->controller_id = 1;
        else
                fprintf(stderr, "mockkafka: unexpected mock cluster layout, "
                                "controller id left as is\n");
}

/* Serves stdin commands until EOF or a signal. */
static void serve_commands(rd_kafka_mock_cluster_t *mc) {
        char line[512];
        while (!stop && fgets(line, sizeof(line), stdin)) {
                char *cmd = strtok(line, " \t\r\n"), *rest = strtok(NULL, "");
                if (!cmd)
                        continue;
                if (!strcmp(cmd, "topic")) {
                        if (!create_topic(mc, rest ? rest : "", " \t\r\n"))
                                printf("OK\n");
                } else if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
                        int id = rest ? atoi(rest) : -1;
                        rd_kafka_resp_err_t err =
                            cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
                                          : rd_kafka_mock_broker_set_up(mc, id);
                        printf(err ? "ERR %s\n" : "OK\n", rd_kafka_err2str(err));
                } else
                        printf("ERR unknown command %s\n", cmd);
        }
}

int main(int argc, char **argv) {
        int brokers = 1, opt, ignore_stdin = 0;
        char errstr[256];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mc;
        struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
        sigset_t sigs;

        while ((opt = getopt(argc, argv, "b:p:t:sh")) != -1) {
                if (opt == 'b')
                        brokers = atoi(optarg);
                else if (opt == 'p')
                        next_port = atoi(optarg);
                else if (opt == 's')
                        ignore_stdin = 1;
                else if (opt != 't')
                        return fputs(usage, stderr), opt == 'h' ? 0 : 2;
        }
        if (brokers < 1 || next_port < 0 || optind < argc)
                return fputs(usage, stderr), 2;
        if (next_port && check_ports_free(next_port, brokers))
                return 1;

        /* Block INT/TERM in librdkafka's threads (they inherit this mask) so
         * that the signals reach the main thread only. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* A client handle that only owns the mock cluster; it never connects. */
        conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", getenv("MOCK_DEBUG") ? "7" : "3",
                          NULL, 0);
        if (getenv("MOCK_DEBUG"))
                rd_kafka_conf_set(conf, "debug", "mock", NULL, 0);
        if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr))))
                return fprintf(stderr, "mockkafka: rd_kafka_new: %s\n", errstr), 1;
        if (!(mc = rd_kafka_mock_cluster_new(rk, brokers)))
                return fprintf(stderr, "mockkafka: cannot create the mock cluster\n"), 1;
        fix_controller_id(mc);

        optind = 1; /* second pass: topics, now that the cluster exists */
        while ((opt = getopt(argc, argv, "b:p:t:sh")) != -1)
                if (opt == 't' && create_topic(mc, optarg, ":"))
                        return fflush(stdout), 1;

        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));

        if (ignore_stdin) {
                sigwait(&sigs, &opt);
        } else {
                pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
                serve_commands(mc);
        }
        /* State is in memory only; a clean rd_kafka_mock_cluster_destroy()
         * would only add up to a second to shutdown. */
        fflush(stdout);
        _exit(0);
}
