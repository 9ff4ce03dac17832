package dev.triggergate.engine;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.List;

/**
 * What an engine did with a batch: launched it in process, has an upstream's answer to relay, or
 * recognised it as a repeat of one answered before.
 */
public sealed interface LaunchResult {

  /**
   * The batch was launched here; the gateway renders the envelope.
   *
   * @param profileIds the profiles the mailing was launched for, in item order, each once
   * @param unmatched how many items matched no profile (left out of the answer, SPEC §5)
   */
  record Launched(List<String> profileIds, int unmatched) implements LaunchResult {
    public Launched {
      profileIds = List.copyOf(profileIds);
    }
  }

  /**
   * A batch launched here whose answer is to go out badly: an injected fault of the memory engine
   * (SPEC §7), so a client can see what a failing Altcraft does to it. It was launched all the
   * same, so a retry with the same request id gets {@code answer} again.
   *
   * @param spreadMs for {@link Delivery#SLOW}: how long the answer takes to go out
   */
  record Misdelivered(Launched answer, Delivery delivery, long spreadMs) implements LaunchResult {}

  /**
   * An answer to give only after an injected delay (SPEC §7 "memory"). The gateway waits it out on
   * a timer, which a client that leaves cancels, so a gone client holds nothing for the rest of it.
   *
   * @param answer what to answer once the delay is over
   * @param settled called exactly once, when the wait ends either way
   */
  record Delayed(LaunchResult answer, long delayMs, Runnable settled) implements LaunchResult {}

  /** How a misdelivered answer goes out. */
  enum Delivery {
    /** Not at all: the connection is reset. */
    RESET,
    /** Not at all: the connection is closed. */
    CLOSE,
    /** Not at all, and the connection stays open until the client gives up. */
    HANG,
    /** Whole, dribbled out over the spread. */
    SLOW
  }

  /**
   * An upstream answered; the gateway relays the answer as it is.
   *
   * @param status the upstream's status code
   * @param headers its end-to-end headers (hop-by-hop ones already dropped)
   * @param head the start of the body, or all of it when {@code rest} is null
   * @param rest the remainder of the body, paused until the gateway pipes it, or null
   */
  record Relayed(int status, MultiMap headers, Buffer head, Rest rest) implements LaunchResult {}

  /**
   * The rest of an answer too long to buffer. Whoever takes it either reads it to its end or
   * abandons it, so the exchange behind it never waits for a reader that is gone.
   */
  interface Rest extends ReadStream<Buffer> {
    /** Gives the rest up (the client left): the exchange ends and its connection is closed. */
    void abandon();
  }

  /**
   * The batch repeats an earlier request id: nothing was launched, the earlier answer is given
   * again (Altcraft's de-duplication, SPEC §7).
   *
   * @param first the earlier request's answer, kept whole ({@code Relayed} without a rest)
   * @param requestId the repeated request id
   */
  record Replayed(LaunchResult first, String requestId) implements LaunchResult {}
}
