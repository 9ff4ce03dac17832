package dev.triggergate.engine.upstream;

/**
 * How one exchange with an upstream host ended, as metrics (the {@code outcome} label) and its
 * circuit breaker see it. Only the upstream's own faults count against it: a full pool, a client
 * that left or stalled, and the gateway's own errors say nothing about the host.
 */
enum Outcome {
  ANSWERED("answered", Against.NOTHING, false),
  /** 502, 503 or 504: the upstream (or a proxy in front of it) says it cannot serve now. */
  UNAVAILABLE_ANSWER("unavailable_answer", Against.HOST, false),
  /** Nothing listens at the host's address. */
  CONNECT_REFUSED("connect_refused", Against.HOST, true),
  /** No connection (or TLS handshake) within {@code connect_timeout_ms}. */
  CONNECT_TIMEOUT("connect_timeout", Against.HOST, true),
  /** Any other failure to connect: name resolution, TLS, an unreachable network. */
  CONNECT_FAILED("connect_failed", Against.HOST, true),
  /** Every pooled connection stayed busy for {@code pool_wait_timeout_ms}: the gateway's load. */
  POOL_WAIT("pool_wait", Against.NONE, true),
  /** The connection closed or was reset after the request was written, before the answer's head. */
  RESET_BEFORE_HEAD("reset_before_head", Against.HOST, false),
  /** The connection closed or was reset between the answer's head and its end. */
  RESET_AFTER_HEAD("reset_after_head", Against.HOST, false),
  /** What came back is not a well-framed HTTP/1.1 answer to the request (the codec refused it). */
  MALFORMED("malformed", Against.HOST, false),
  /** A well-formed answer the gateway cannot relay faithfully (a transfer coding, an upgrade). */
  UNRELAYABLE("unrelayable", Against.HOST, false),
  /** No answer head within {@code response_timeout_ms} of the request being written. */
  HEAD_TIMEOUT("head_timeout", Against.HOST, false),
  /** A gap longer than {@code read_idle_timeout_ms} between two reads, while the gateway read. */
  IDLE_TIMEOUT("idle_timeout", Against.HOST, false),
  /** The answer was not complete within {@code exchange_timeout_ms}, while the gateway read. */
  EXCHANGE_TIMEOUT("exchange_timeout", Against.HOST, false),
  /** The client left, or held the answer past the exchange deadline, while it streamed. */
  CLIENT_GONE("client_gone", Against.NOTHING, false),
  /** An unexpected exception in the gateway's own code: a bug, never the host's fault. */
  GATEWAY_ERROR("gateway_error", Against.NONE, false);

  /** What the host's breaker makes of an outcome. */
  private enum Against {
    /** A success: the host did its part. */
    NOTHING,
    /** A failure of the host. */
    HOST,
    /** Neither: the breaker's permit goes back unrecorded. */
    NONE
  }

  private final String tag;
  private final Against against;
  private final boolean unsent;
  private final UpstreamFailure asFailure;

  Outcome(String tag, Against against, boolean unsent) {
    this.tag = tag;
    this.against = against;
    this.unsent = unsent;
    this.asFailure = new UpstreamFailure(this, null);
  }

  static Outcome ofStatus(int status) {
    return status == 502 || status == 503 || status == 504 ? UNAVAILABLE_ANSWER : ANSWERED;
  }

  String tag() {
    return tag;
  }

  /** Whether the host's breaker counts it against the host. */
  boolean isFailure() {
    return against == Against.HOST;
  }

  /** Whether the host's breaker ignores it: it says nothing about the host's health. */
  boolean isNeutral() {
    return against == Against.NONE;
  }

  /** Whether the request was certainly not written, so another host may take it. */
  boolean isUnsent() {
    return unsent;
  }

  /** The failure a client reports, and the breaker records, for this outcome. */
  UpstreamFailure failure() {
    return asFailure;
  }

  /** The same, keeping what went wrong underneath for the log. */
  UpstreamFailure failure(Throwable cause) {
    return cause == null ? asFailure : new UpstreamFailure(this, cause);
  }

  /** A failed exchange, by outcome; no stack trace, as it is a state, not a bug. */
  static final class UpstreamFailure extends RuntimeException {
    private final Outcome outcome;

    private UpstreamFailure(Outcome outcome, Throwable cause) {
      super(outcome.tag, cause, false, false);
      this.outcome = outcome;
    }

    Outcome outcome() {
      return outcome;
    }
  }
}
