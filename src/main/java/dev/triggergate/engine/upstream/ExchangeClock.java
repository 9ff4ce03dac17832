package dev.triggergate.engine.upstream;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The clock of one event loop's exchanges in flight: one periodic tick checks every exchange's
 * deadlines, rather than a timer set and cancelled per exchange. An exchange is noticed within one
 * tick (an eighth of the shortest timeout, 10 ms to 1 s) of its deadline. Used only from its event
 * loop, so the list needs no locks.
 */
final class ExchangeClock {
  private Exchange first;

  private ExchangeClock(Vertx vertx, long tickMs) {
    vertx.setPeriodic(tickMs, id -> tick());
  }

  /**
   * This event loop's clock for exchanges under {@code limits} (one per engine), made on first use.
   */
  static ExchangeClock of(Vertx vertx, Exchange.Limits limits) {
    Context context = vertx.getOrCreateContext();
    ExchangeClock clock = context.get(limits);
    if (clock == null) {
      clock = new ExchangeClock(vertx, Math.max(10, Math.min(1000, limits.shortestMs() / 8)));
      context.put(limits, clock);
    }
    return clock;
  }

  void add(Exchange exchange) {
    exchange.previous = null;
    exchange.next = first;
    if (first != null) {
      first.previous = exchange;
    }
    first = exchange;
  }

  void remove(Exchange exchange) {
    if (exchange.previous != null) {
      exchange.previous.next = exchange.next;
    } else if (first == exchange) {
      first = exchange.next;
    }
    if (exchange.next != null) {
      exchange.next.previous = exchange.previous;
    }
    exchange.previous = null;
    exchange.next = null;
  }

  private void tick() {
    long now = System.nanoTime();
    Exchange exchange = first;
    while (exchange != null) {
      // Expiring removes the exchange from the list: take its successor first.
      Exchange next = exchange.next;
      exchange.expire(now);
      exchange = next;
    }
  }
}
