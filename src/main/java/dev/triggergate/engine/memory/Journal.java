package dev.triggergate.engine.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The memory engine's record of launches: a bounded ring, oldest entries dropped first. */
public final class Journal {
  /**
   * One launch of a trigger for a profile.
   *
   * @param timeMillis when, in milliseconds since the epoch
   */
  public record Launch(long triggerId, String profileId, long timeMillis, String requestId) {}

  private final Launch[] ring;
  private final Map<Long, Long> perTrigger = new HashMap<>();
  private long total;

  /**
   * @param capacity how many launches are kept; 0 keeps none but still counts them
   */
  public Journal(int capacity) {
    this.ring = new Launch[capacity];
  }

  synchronized void record(long triggerId, List<String> profileIds, String requestId) {
    long now = System.currentTimeMillis();
    for (String profileId : profileIds) {
      if (ring.length > 0) {
        ring[(int) (total % ring.length)] = new Launch(triggerId, profileId, now, requestId);
      }
      total++;
    }
    perTrigger.merge(triggerId, (long) profileIds.size(), Long::sum);
  }

  /** Launches per trigger since start (or the last reset), including those no longer held. */
  public synchronized Map<Long, Long> countsPerTrigger() {
    return new TreeMap<>(perTrigger);
  }

  /** Forgets every launch and count. */
  public synchronized void reset() {
    Arrays.fill(ring, null);
    perTrigger.clear();
    total = 0;
  }

  /**
   * The held launches that match, newest first, at most {@code limit}.
   *
   * @param triggerId only this trigger, or null
   * @param profileId only this profile, or null
   * @param requestId only this request id, or null
   * @param sinceMillis only at or after this time, or null
   * @param untilMillis only before this time, or null
   */
  public synchronized List<Launch> find(
      Long triggerId,
      String profileId,
      String requestId,
      Long sinceMillis,
      Long untilMillis,
      int limit) {
    List<Launch> out = new ArrayList<>();
    int held = (int) Math.min(total, ring.length);
    for (long i = total - 1; i >= total - held && out.size() < limit; i--) {
      Launch launch = ring[(int) (i % ring.length)];
      if ((triggerId == null || launch.triggerId() == triggerId)
          && (profileId == null || profileId.equals(launch.profileId()))
          && (requestId == null || requestId.equals(launch.requestId()))
          && (sinceMillis == null || launch.timeMillis() >= sinceMillis)
          && (untilMillis == null || launch.timeMillis() < untilMillis)) {
        out.add(launch);
      }
    }
    return out;
  }

  /** Every launch since start, including those the ring no longer holds. */
  public synchronized long total() {
    return total;
  }

  /** The launches still held, oldest first. */
  public synchronized List<Launch> entries() {
    int held = (int) Math.min(total, ring.length);
    List<Launch> out = new ArrayList<>(held);
    for (long i = total - held; i < total; i++) {
      out.add(ring[(int) (i % ring.length)]);
    }
    return out;
  }
}
