package dev.triggergate.engine.upstream;

/** How one exchange with an upstream host ended, as metrics and its circuit breaker see it. */
enum Outcome {
  ANSWERED("answered", false),
  /** 502, 503 or 504: the upstream (or a proxy in front of it) says it cannot serve now. */
  UNAVAILABLE_ANSWER("unavailable_answer", true),
  CONNECT_FAILED("connect_failed", true),
  CLOSED("closed", true),
  NOT_HTTP("not_http", true),
  TIMEOUT("timeout", true);

  private final String tag;
  private final boolean failure;
  private final RuntimeException asFailure;

  Outcome(String tag, boolean failure) {
    this.tag = tag;
    this.failure = failure;
    this.asFailure = new RuntimeException(tag, null, false, false) {};
  }

  static Outcome ofStatus(int status) {
    return status == 502 || status == 503 || status == 504 ? UNAVAILABLE_ANSWER : ANSWERED;
  }

  String tag() {
    return tag;
  }

  boolean isFailure() {
    return failure;
  }

  /** What the breaker records for a failure that came as an answer rather than an exception. */
  RuntimeException failure() {
    return asFailure;
  }
}
