package dev.triggergate.config;

import java.util.List;

/** The whole configuration, read once at start-up into immutable values (SPEC §9). */
public record GatewayConfig(
    Server server, Limits limits, Errors errors, Engine engine, Dedup dedup, AccessLog accessLog) {

  /** Where and how the HTTP server listens. */
  public record Server(String host, int port, int eventLoops, long shutdownTimeoutMs) {}

  /** Byte and count caps that protect the gateway and what stands behind it. */
  public record Limits(
      long bodyMaxBytes,
      long bodyWithFilesMaxBytes,
      int maxItems,
      int maxInFlight,
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
  public record Engine(EngineType type, Memory memory) {}

  /** The engine kinds. */
  public enum EngineType {
    MEMORY,
    UPSTREAM
  }

  /** The in-process engine (SPEC §7 "memory"). */
  public record Memory(
      boolean autoProfiles, String profilesFile, List<Trigger> triggers, int journalMaxEntries) {}

  /** A trigger mailing the memory engine knows; empty {@code tokens} lets every token launch it. */
  public record Trigger(long id, boolean active, List<String> tokens) {}

  /** Request-ID de-duplication (SPEC §7). */
  public record Dedup(boolean enabled, long ttlMs, int maxEntries) {}

  /** The one-line-per-request JSON access log. */
  public record AccessLog(boolean enabled) {}
}
