package dev.triggergate.config;

import java.util.List;

/** The whole configuration, read once at start-up into immutable values (SPEC §9). */
public record GatewayConfig(
    Server server,
    Limits limits,
    Errors errors,
    Engine engine,
    Redis redis,
    RateLimits rateLimits,
    Dedup dedup,
    Auth auth,
    AccessLog accessLog,
    Admin admin) {

  /**
   * Where and how the HTTP server listens, and how long each step of a client's exchange may take.
   *
   * @param idleTimeoutMs a connection that neither sends nor receives a byte for this long is
   *     closed
   * @param headTimeoutMs from the first byte of a request head to its last
   * @param bodyTimeoutMs from the first read of a body to its last byte
   * @param bodyMinBytesPerSecond the slowest a body may arrive, measured over each {@link
   *     #BODY_RATE_WINDOW_MS} while the gateway reads it
   * @param writeTimeoutMs how long an answer may wait for a client that does not read it
   * @param maxConnections open client connections across all event loops; more are closed at once
   * @param maxHeaderBytes the request head's header section, at most
   * @param maxUriBytes the request line, at most
   * @param h2c cleartext HTTP/2 (prior knowledge and {@code Upgrade: h2c})
   * @param tls TLS termination, or null for cleartext
   */
  public record Server(
      String host,
      int port,
      int eventLoops,
      long shutdownTimeoutMs,
      long idleTimeoutMs,
      long headTimeoutMs,
      long bodyTimeoutMs,
      long bodyMinBytesPerSecond,
      long writeTimeoutMs,
      int maxConnections,
      int maxHeaderBytes,
      int maxUriBytes,
      boolean h2c,
      Http2 http2,
      Tls tls) {

    /** The window over which a body's arrival rate is measured. */
    public static final long BODY_RATE_WINDOW_MS = 5_000;
  }

  /**
   * The certificate the gateway presents: a PEM chain and key, or a PKCS#12 file.
   *
   * @param certChain PEM file with the certificate chain, leaf first
   * @param key PEM file with the private key (PKCS#8 or PKCS#1)
   * @param pkcs12 PKCS#12 file with the key and chain, instead of the two PEM files
   * @param password the PKCS#12 file's password
   */
  public record Tls(String certChain, String key, String pkcs12, String password) {}

  /** The limits an HTTP/2 client is told in its SETTINGS and held to. */
  public record Http2(int maxConcurrentStreams, int maxHeaderListBytes) {}

  /**
   * Byte and count caps that protect the gateway and what stands behind it.
   *
   * @param maxInFlightBytes the body bytes all requests may hold at once
   * @param maxDecodingBytes what the decoded forms of all bodies being decoded or served may take,
   *     by their estimated size
   * @param decodeWaitMs how long a read body may wait for room to be decoded before it is a 503
   */
  public record Limits(
      long bodyMaxBytes,
      long bodyWithFilesMaxBytes,
      int maxItems,
      int maxInFlight,
      long maxInFlightBytes,
      long maxDecodingBytes,
      long decodeWaitMs,
      long offloadBytes) {

    /** The cap while a body streams in: the larger one, since only the body tells about files. */
    public long streamingCap() {
      return Math.max(bodyMaxBytes, bodyWithFilesMaxBytes);
    }
  }

  /** How gateway errors map to HTTP statuses. */
  public record Errors(HttpStatusMode httpStatus) {}

  /**
   * {@code mirror}: the HTTP status equals the envelope's error; {@code always_200}: always 200.
   */
  public enum HttpStatusMode {
    MIRROR,
    ALWAYS_200
  }

  /** Which engine answers accepted batches, and its settings. */
  public record Engine(EngineType type, Memory memory, Upstream upstream) {}

  /** The engine kinds. */
  public enum EngineType {
    MEMORY,
    UPSTREAM
  }

  /** The in-process engine (SPEC §7 "memory"). */
  public record Memory(
      boolean autoProfiles,
      String profilesFile,
      List<Trigger> triggers,
      int journalMaxEntries,
      Latency latency,
      Faults faults) {}

  /** What an injected fault does to the answer. */
  public enum FaultKind {
    /** Altcraft's error envelope with {@code status} (429 and 503 with Retry-After). */
    ERROR,
    /** The connection is reset (RST) instead of answered; the batch was launched. */
    RESET,
    /** The connection is closed with no answer; the batch was launched. */
    CLOSE,
    /** No answer at all: the connection is held until the client gives up. */
    HANG,
    /** The answer is dribbled out over {@code slowMs}. */
    SLOW,
    /** Only a share ({@code keepShare}) of the matched profiles is launched and answered. */
    PARTIAL
  }

  /**
   * Faults the memory engine injects, for load-testing a client against a failing Altcraft: for
   * each batch the rules are tried in order, and the first whose scope matches and whose
   * probability fires decides.
   *
   * @param seed makes the draws repeatable (per event loop), or null
   */
  public record Faults(Long seed, List<Fault> rules) {}

  /**
   * One fault rule.
   *
   * @param probability from 0 to 1, for each batch in scope
   * @param status for {@code error}: 429, 500 or 503
   * @param retryAfterSeconds for an {@code error} 429 or 503: its Retry-After
   * @param slowMs for {@code slow}: how long the answer takes to go out
   * @param keepShare for {@code partial}: the share of matched profiles kept, 0 to 1
   * @param triggerId only batches for this trigger, or null for all
   * @param token only batches with this token, or null for all
   */
  public record Fault(
      FaultKind kind,
      double probability,
      int status,
      long retryAfterSeconds,
      long slowMs,
      double keepShare,
      Long triggerId,
      String token) {}

  /** How an injected delay is drawn. */
  public enum LatencyShape {
    NONE,
    FIXED,
    UNIFORM,
    LOGNORMAL
  }

  /**
   * The delay the memory engine puts before each answer, on a timer: a draw from {@code shape},
   * clamped to {@code [clampMinMs, clampMaxMs]}, plus {@code perItemMicros} for every batch item.
   *
   * @param fixedMs the delay of {@code fixed}
   * @param minMs the lower end of {@code uniform}
   * @param maxMs the upper end of {@code uniform}
   * @param medianMs the median of {@code lognormal}
   * @param sigma the standard deviation of the logarithm, for {@code lognormal}
   * @param seed makes the draws repeatable (per event loop), or null for a fresh one each start
   */
  public record Latency(
      LatencyShape shape,
      long fixedMs,
      long minMs,
      long maxMs,
      long medianMs,
      double sigma,
      long clampMinMs,
      long clampMaxMs,
      long perItemMicros,
      Long seed) {}

  /**
   * The forwarding engine (SPEC §7 "upstream").
   *
   * @param urls base URLs of the Altcraft servers, used in turn; a base path is put before the
   *     request's path
   * @param connectTimeoutMs to open a connection (TCP and TLS)
   * @param poolWaitTimeoutMs how long a request waits for a pooled connection while all are busy
   *     (then 503; the host stays in rotation)
   * @param responseTimeoutMs from the request written to the answer's head (then 504)
   * @param readIdleTimeoutMs the longest gap between two reads of the answer while the gateway is
   *     reading; a client holding a streamed answer back does not count
   * @param exchangeTimeoutMs from the request written to the answer's last byte
   * @param poolSize keep-alive connections per host and event loop
   * @param poolIdleTimeoutMs how long an unused connection stays in the pool; keep it below the
   *     upstream's keep-alive timeout so that a socket the upstream is closing is never reused
   * @param bufferAnswerBytes an answer up to this size is read whole before the client sees any of
   *     it, so an upstream that breaks off mid-answer becomes a clean 502; larger ones stream on
   * @param trustStore PEM, PKCS#12 or JKS file of the certificates to trust for https, or null for
   *     the JVM's
   */
  public record Upstream(
      List<String> urls,
      long connectTimeoutMs,
      long poolWaitTimeoutMs,
      long responseTimeoutMs,
      long readIdleTimeoutMs,
      long exchangeTimeoutMs,
      int poolSize,
      long poolIdleTimeoutMs,
      boolean http2,
      String trustStore,
      String trustStorePassword,
      int bufferAnswerBytes,
      Breaker breaker) {

    /**
     * The longest a client may wait without a byte: a pool wait and a connect (twice, when the
     * batch goes on to a second host), then the exchange.
     */
    public long longestWaitMs() {
      long toConnect = poolWaitTimeoutMs + connectTimeoutMs;
      return (urls.size() > 1 ? 2 * toConnect : toConnect) + exchangeTimeoutMs;
    }
  }

  /**
   * When a host stops getting traffic. It is ejected after {@code connectFailures} failed connects
   * in a row, or when at least {@code minCalls} of its last {@code window} exchanges were answered
   * and {@code failureRatePercent} of them failed (no answer, a timeout, 502/503/504); after {@code
   * openMs} it gets {@code halfOpenCalls} trial requests that decide whether it is back.
   */
  public record Breaker(
      int connectFailures,
      int failureRatePercent,
      int window,
      int minCalls,
      long openMs,
      int halfOpenCalls) {}

  /** A trigger mailing the memory engine knows; empty {@code tokens} lets every token launch it. */
  public record Trigger(long id, boolean active, List<String> tokens) {}

  /**
   * The Redis that rate limits and de-duplication share with the other instances.
   *
   * @param endpoints {@code redis://} or {@code rediss://} (TLS) URLs: the server (standalone), any
   *     of the cluster's nodes (cluster) or the sentinels (sentinel); empty when there is no Redis
   * @param masterName the master the sentinels watch (sentinel only)
   * @param user the ACL user, or null for Redis's {@code default} user
   * @param password or null when Redis asks for none
   * @param trustStore PEM, PKCS#12 or JKS file of the certificates to trust for {@code rediss://},
   *     or null for the JVM's
   * @param poolSize connections per event loop (to each node of a cluster), commands pipelined on
   *     them in turn
   * @param maxPendingCommands commands sent on one connection and not yet answered, at most; more
   *     fail at once
   * @param connectTimeoutMs how long opening a connection (with its handshake) may take
   * @param commandTimeoutMs how long one command may take, from when it is handed to the client to
   *     its answer, before the check it serves applies {@code on_store_failure}
   * @param breaker when Redis counts as down for everyone, and when it is tried again
   */
  public record Redis(
      RedisType type,
      List<String> endpoints,
      String masterName,
      String user,
      String password,
      String trustStore,
      String trustStorePassword,
      int poolSize,
      int maxPendingCommands,
      long connectTimeoutMs,
      long commandTimeoutMs,
      Breaker breaker) {
    public boolean configured() {
      return !endpoints.isEmpty();
    }

    public boolean tls() {
      return configured() && endpoints.get(0).startsWith("rediss://");
    }

    @Override
    public String toString() {
      // A config is logged and put in test reports; its password is not.
      return "Redis[type=" + type + ", endpoints=" + endpoints + ", user=" + user + "]";
    }
  }

  /** How the gateway finds Redis: one server, a Redis Cluster, or a master named by Sentinel. */
  public enum RedisType {
    STANDALONE,
    CLUSTER,
    SENTINEL
  }

  /**
   * Rate limiting (SPEC §6): every policy applies, the first refusal decides.
   *
   * @param localMaxKeys per policy, how many keys the local backend keeps (idle ones expire first)
   */
  public record RateLimits(int localMaxKeys, List<Policy> policies) {}

  /**
   * One named rate policy.
   *
   * @param limit permits per period: requests, or profiles ({@code data} items)
   * @param maxWaitMs how long a request may wait for permits on a timer; 0 refuses at once
   */
  public record Policy(
      String name,
      PolicyKey key,
      PolicyUnit unit,
      int limit,
      long periodMs,
      long maxWaitMs,
      PolicyBackend backend,
      StoreFailure onStoreFailure) {}

  /** What a policy counts per: everything, a token, a trigger, both, or a client address. */
  public enum PolicyKey {
    GLOBAL,
    TOKEN,
    TRIGGER,
    TOKEN_TRIGGER,
    CLIENT_IP;

    /** Whether the key is known before the body is read. */
    public boolean needsBody() {
      return this != GLOBAL && this != CLIENT_IP;
    }
  }

  /** What a policy counts: requests, or the profiles ({@code data} items) they carry. */
  public enum PolicyUnit {
    REQUESTS,
    PROFILES
  }

  /** Where a policy keeps its counts. */
  public enum PolicyBackend {
    LOCAL,
    REDIS
  }

  /** What a Redis-backed policy does while Redis cannot answer. */
  public enum StoreFailure {
    LOCAL,
    ALLOW,
    DENY
  }

  /**
   * Request-ID de-duplication (SPEC §7).
   *
   * @param ttlMs how long an answer is given again to a repeat
   * @param maxEntries at most this many answers are kept (local store)
   * @param maxBytes the kept answers take about this much memory at most (local store)
   * @param store where answers are kept
   * @param holdMs how long an id stays held by a request still being answered (redis store: an
   *     instance that dies mid-request frees its ids after this)
   */
  public record Dedup(
      boolean enabled,
      long ttlMs,
      int maxEntries,
      long maxBytes,
      DedupStoreType store,
      long holdMs) {}

  /** Where de-duplication keeps answers: this process, or Redis for every instance. */
  public enum DedupStoreType {
    LOCAL,
    REDIS
  }

  /**
   * The edge's token allow-list (SPEC §6a): empty lets every token pass.
   *
   * @param allowedTokens tokens as they are
   * @param allowedTokensFile a file with one SHA-256 hex digest of a token per line, or null
   */
  public record Auth(List<String> allowedTokens, String allowedTokensFile) {}

  /**
   * The one-line-per-request JSON access log.
   *
   * @param path a file lines are appended to, or null for standard output
   * @param bufferBytes the most bytes of lines waiting to be written; beyond, lines are dropped and
   *     counted
   * @param flushIntervalMs the longest a line waits before it is written
   */
  public record AccessLog(boolean enabled, String path, long bufferBytes, long flushIntervalMs) {}

  /**
   * The admin API of the memory engine (SPEC §8): off unless enabled, then behind its own token.
   *
   * @param token the bearer token every admin request must carry, or null when off
   * @param profilesMaxBytes the largest profile upload ({@code PUT /admin/profiles})
   * @param host the address the admin API's own listener binds to
   * @param port the admin API's own port (0 for a free one), or null when it is served on {@code
   *     server.port} with the rest
   */
  public record Admin(
      boolean enabled, String token, long profilesMaxBytes, String host, Integer port) {

    /** Whether the admin API has a listener of its own, and the main one does not serve it. */
    public boolean apart() {
      return port != null;
    }
  }
}
