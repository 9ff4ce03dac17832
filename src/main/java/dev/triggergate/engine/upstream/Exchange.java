package dev.triggergate.engine.upstream;

import dev.triggergate.config.GatewayConfig.Upstream;
import dev.triggergate.engine.LaunchResult.Relayed;
import dev.triggergate.engine.LaunchResult.Rest;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One batch sent to one host and the answer to it, whichever protocol carries it. The answer is
 * read whole up to a size; a longer one is handed on after that much, its rest streaming at the
 * client's pace. It keeps the exchange's deadlines (checked by an {@link ExchangeClock}), ends
 * exactly once, and records how it ended on the host, so the breaker's permit always comes back.
 * Everything runs on the event loop of the request.
 */
final class Exchange {
  /** What an exchange asks of the connection (or stream) that carries it. */
  interface Wire {
    /** Stop reading the answer for now (the client is behind). */
    void pause();

    /** Read on. */
    void resume();

    /** Give the answer up: close the connection or reset the stream, never reuse it. */
    void abort();
  }

  private enum State {
    /** Waiting for a connection; nothing written yet. */
    CONNECTING,
    /** The request is written; no answer head yet. */
    SENT,
    /** The head is in; the body is being read into the buffer. */
    READING,
    /** The buffered start is handed on; the rest streams. */
    STREAMING,
    DONE
  }

  private final UpstreamHost host;
  private final Limits limits;
  private final long startNanos = System.nanoTime();
  private final Promise<Relayed> answer = Promise.promise();
  private State state = State.CONNECTING;
  private ExchangeClock clock;
  private Wire wire;
  private long sentNanos;
  private long lastReadNanos;
  private int status;
  private MultiMap headers;
  private Buffer start;
  private boolean startOwned;
  private Stream rest;
  // Links of the clock's list of exchanges in flight.
  Exchange previous;
  Exchange next;

  Exchange(UpstreamHost host, Limits limits) {
    this.host = host;
    this.limits = limits;
  }

  /** The answer's head and start, or an {@link Outcome.UpstreamFailure}. */
  Future<Relayed> answer() {
    return answer.future();
  }

  /**
   * The request goes out on {@code wire}: from now on the exchange's deadlines run. False when the
   * exchange already ended: then the wire is aborted and nothing may be written.
   */
  boolean sent(Wire wire, ExchangeClock clock) {
    if (state != State.CONNECTING) {
      wire.abort();
      return false;
    }
    this.wire = wire;
    this.clock = clock;
    this.sentNanos = System.nanoTime();
    state = State.SENT;
    clock.add(this);
    return true;
  }

  /** The answer's head: its status and its end-to-end headers. */
  void head(int status, MultiMap headers) {
    if (state != State.SENT) {
      return;
    }
    this.status = status;
    this.headers = headers;
    lastReadNanos = System.nanoTime();
    state = State.READING;
  }

  /** A part of the answer's body. */
  void content(Buffer part) {
    lastReadNanos = System.nanoTime();
    if (state == State.STREAMING) {
      rest.push(part);
      return;
    }
    if (state != State.READING) {
      return;
    }
    append(part);
    if (start.length() > limits.bufferAnswerBytes()) {
      state = State.STREAMING;
      rest = new Stream();
      wire.pause();
      answer.complete(new Relayed(status, headers, start, rest));
    }
  }

  /** The answer is complete. The wire is not this exchange's any more. */
  void end() {
    if (state != State.READING && state != State.STREAMING) {
      return;
    }
    State was = state;
    finish(Outcome.ofStatus(status), null);
    if (was == State.STREAMING) {
      rest.end();
    } else {
      answer.complete(new Relayed(status, headers, start == null ? Buffer.buffer() : start, null));
    }
  }

  /** The connection closed (or was reset) under the exchange. */
  void closed(Throwable cause) {
    fail(state == State.SENT ? Outcome.RESET_BEFORE_HEAD : Outcome.RESET_AFTER_HEAD, cause);
  }

  /** The exchange broke off; the wire, if any, is aborted. */
  void fail(Outcome outcome, Throwable cause) {
    if (state == State.DONE) {
      return;
    }
    State was = state;
    finish(outcome, cause);
    if (wire != null) {
      wire.abort();
    }
    if (was == State.STREAMING) {
      rest.fail(outcome.failure(cause));
    } else {
      answer.fail(outcome.failure(cause));
    }
  }

  /** Called by the clock: gives the exchange up once one of its deadlines has passed. */
  void expire(long now) {
    switch (state) {
      case SENT -> {
        if (now - sentNanos >= limits.headNanos()) {
          fail(Outcome.HEAD_TIMEOUT, null);
          return;
        }
      }
      case READING -> {
        if (now - lastReadNanos >= limits.idleNanos()) {
          fail(Outcome.IDLE_TIMEOUT, null);
          return;
        }
      }
      case STREAMING -> {
        // The idle gap counts only while the gateway wants bytes: a client holding the stream
        // paused is its own (bounded by the server's write deadline), not the upstream's.
        if (rest.reading() && now - lastReadNanos >= limits.idleNanos()) {
          fail(Outcome.IDLE_TIMEOUT, null);
          return;
        }
      }
      default -> {
        return;
      }
    }
    if (now - sentNanos >= limits.exchangeNanos()) {
      boolean clientsTurn = state == State.STREAMING && !rest.reading();
      fail(clientsTurn ? Outcome.CLIENT_GONE : Outcome.EXCHANGE_TIMEOUT, null);
    }
  }

  private void finish(Outcome outcome, Throwable cause) {
    state = State.DONE;
    if (clock != null) {
      clock.remove(this);
    }
    host.record(outcome, startNanos, cause);
  }

  /** The usual single-part answer is kept as it came, without a copy. */
  private void append(Buffer part) {
    if (start == null) {
      start = part;
      return;
    }
    if (!startOwned) {
      start = Buffer.buffer(start.length() + part.length()).appendBuffer(start);
      startOwned = true;
    }
    start.appendBuffer(part);
  }

  /**
   * The rest of the answer, as a stream the gateway pipes to its client. It starts paused; while it
   * is paused, so is reading from the upstream.
   */
  private final class Stream implements Rest {
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private long demand;
    private boolean ended;
    private Throwable failure;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;

    /** Whether the gateway is waiting for the upstream's bytes, rather than for its client. */
    boolean reading() {
      return demand > 0 && queue.isEmpty();
    }

    void push(Buffer part) {
      queue.add(part);
      drain();
      if (demand == 0 && state == State.STREAMING) {
        // Parts already read keep arriving for a moment after a pause; they wait here.
        wire.pause();
      }
    }

    void end() {
      ended = true;
      drain();
    }

    void fail(Throwable cause) {
      failure = cause;
      queue.clear();
      Handler<Throwable> failed = exceptionHandler;
      if (failed != null) {
        failed.handle(cause);
      }
    }

    @Override
    public void abandon() {
      Exchange.this.fail(Outcome.CLIENT_GONE, null);
    }

    @Override
    public Stream handler(Handler<Buffer> handler) {
      this.handler = handler;
      return this;
    }

    @Override
    public Stream endHandler(Handler<Void> endHandler) {
      this.endHandler = endHandler;
      return this;
    }

    @Override
    public Stream exceptionHandler(Handler<Throwable> handler) {
      this.exceptionHandler = handler;
      if (handler != null && failure != null) {
        // It broke off before anyone listened: the news must not be lost.
        handler.handle(failure);
      }
      return this;
    }

    @Override
    public Stream pause() {
      demand = 0;
      if (state == State.STREAMING) {
        wire.pause();
      }
      return this;
    }

    @Override
    public Stream resume() {
      return fetch(Long.MAX_VALUE);
    }

    @Override
    public Stream fetch(long amount) {
      boolean wasPaused = demand == 0;
      demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
      drain();
      if (wasPaused && demand > 0 && state == State.STREAMING) {
        // The idle gap is measured from when the gateway asked for more, not from the last read.
        lastReadNanos = System.nanoTime();
        wire.resume();
      }
      return this;
    }

    private void drain() {
      while (demand > 0 && !queue.isEmpty()) {
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        Buffer part = queue.poll();
        Handler<Buffer> each = handler;
        if (each != null) {
          each.handle(part);
        }
      }
      if (queue.isEmpty() && ended && failure == null) {
        ended = false;
        Handler<Void> last = endHandler;
        if (last != null) {
          last.handle(null);
        }
      }
    }
  }

  /** An exchange's deadlines and buffer, from the engine's configuration. */
  record Limits(long headNanos, long idleNanos, long exchangeNanos, int bufferAnswerBytes) {
    static Limits of(Upstream config) {
      return new Limits(
          TimeUnit.MILLISECONDS.toNanos(config.responseTimeoutMs()),
          TimeUnit.MILLISECONDS.toNanos(config.readIdleTimeoutMs()),
          TimeUnit.MILLISECONDS.toNanos(config.exchangeTimeoutMs()),
          config.bufferAnswerBytes());
    }

    /** The shortest deadline, which sets how often a clock must look. */
    long shortestMs() {
      return TimeUnit.NANOSECONDS.toMillis(Math.min(headNanos, Math.min(idleNanos, exchangeNanos)));
    }
  }
}
