package dev.triggergate.engine.upstream;

/** How one exchange with an upstream host ended, as metrics and its circuit breaker see it. */
enum Outcome {
  ANSWERED("answered", false, false),
  /** 502, 503 or 504: the upstream (or a proxy in front of it) says it cannot serve now. */
  UNAVAILABLE_ANSWER("unavailable_answer", true, false),
  CONNECT_FAILED("connect_failed", true, true),
  /**
   * Every pooled connection stayed busy for the connect timeout: the gateway's load, not the host's
   * fault.
   */
  POOL_BUSY("pool_busy", false, true),
  CLOSED("closed", true, false),
  NOT_HTTP("not_http", true, false),
  TIMEOUT("timeout", true, false);

  private final String tag;
  private final boolean failure;
  private final boolean unsent;
  private final UpstreamFailure asFailure;

  Outcome(String tag, boolean failure, boolean unsent) {
    this.tag = tag;
    this.failure = failure;
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
    return failure;
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
    return new UpstreamFailure(this, cause);
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
