package dev.triggergate.engine.upstream;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;

/**
 * The rest of an upstream answer too long to buffer, as a stream the gateway pipes to its client.
 * It starts paused; the client's pace sets the connection's (reading pauses while it is paused).
 */
final class AnswerStream implements ReadStream<Buffer> {
  private final Http1Connection connection;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private long demand;
  private boolean attached = true;
  private boolean ended;
  private Throwable failure;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;

  AnswerStream(Http1Connection connection) {
    this.connection = connection;
  }

  /** A part of the body, read from the connection. */
  void push(Buffer part) {
    queue.add(part);
    drain();
    if (demand == 0 && attached) {
      connection.pauseReading();
    }
  }

  /** The answer is complete; the connection is no longer this stream's. */
  void end() {
    ended = true;
    attached = false;
    drain();
  }

  /** The answer broke off; what is queued is worthless now. */
  void fail(Throwable cause) {
    failure = cause;
    attached = false;
    queue.clear();
    Handler<Throwable> handler = exceptionHandler;
    if (handler != null) {
      handler.handle(cause);
    }
  }

  @Override
  public AnswerStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    return this;
  }

  @Override
  public AnswerStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  @Override
  public AnswerStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    if (handler != null && failure != null) {
      // It broke off before anyone listened: the news must not be lost.
      handler.handle(failure);
    }
    return this;
  }

  @Override
  public AnswerStream pause() {
    demand = 0;
    if (attached) {
      connection.pauseReading();
    }
    return this;
  }

  @Override
  public AnswerStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public AnswerStream fetch(long amount) {
    demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    drain();
    if (demand > 0 && attached) {
      connection.resumeReading();
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
      Handler<Void> end = endHandler;
      if (end != null) {
        end.handle(null);
      }
    }
  }
}
