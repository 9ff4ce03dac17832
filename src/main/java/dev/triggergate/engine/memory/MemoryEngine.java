package dev.triggergate.engine.memory;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.config.GatewayConfig;
import dev.triggergate.config.GatewayConfig.Fault;
import dev.triggergate.config.GatewayConfig.FaultKind;
import dev.triggergate.config.GatewayConfig.Faults;
import dev.triggergate.config.GatewayConfig.Latency;
import dev.triggergate.config.GatewayConfig.Trigger;
import dev.triggergate.engine.LaunchResult;
import dev.triggergate.engine.LaunchResult.Delivery;
import dev.triggergate.engine.LaunchResult.Launched;
import dev.triggergate.engine.StartBatch;
import dev.triggergate.engine.TriggerEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers as Altcraft would, from the trigger mailings and profiles it holds (SPEC §7 "memory"):
 * each matched profile is launched once per batch, unmatched items are left out of the answer.
 */
public final class MemoryEngine implements TriggerEngine {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryEngine.class);

  /** Batches larger than this are matched on a worker thread, off the event loop. */
  private static final int OFFLOAD_ITEMS = 2_000;

  private final Vertx vertx;
  private final boolean autoProfiles;
  // Replaced whole by an upload; a batch reads it once, so it sees one set or the other.
  private volatile ProfileIndex profiles;
  private final AtomicLong uploads = new AtomicLong();
  private long swappedUpload;
  private final Map<Long, Trigger> triggers = new ConcurrentHashMap<>();
  private final Journal journal;
  private final Counter launches;
  private final Counter unmatched;
  // Replaced whole at run time through the admin API; each batch reads each once.
  private volatile InjectedLatency latency;
  private volatile InjectedFaults faults;
  private final Map<FaultKind, Counter> faultCounts = new EnumMap<>(FaultKind.class);
  private final Timer delays;
  private final AtomicInteger delayed = new AtomicInteger();

  private MemoryEngine(
      Vertx vertx, GatewayConfig.Memory config, List<Profile> profiles, MeterRegistry registry) {
    this.vertx = vertx;
    this.launches =
        Counter.builder("gateway_launches")
            .description("Profiles a trigger mailing was launched for")
            .register(registry);
    this.unmatched =
        Counter.builder("gateway_unmatched_items")
            .description("Batch items that matched no profile (left out of the answer)")
            .register(registry);
    this.autoProfiles = config.autoProfiles();
    this.profiles = new ProfileIndex(profiles, config.autoProfiles());
    config.triggers().forEach(trigger -> triggers.put(trigger.id(), trigger));
    this.journal = new Journal(config.journalMaxEntries());
    this.latency = new InjectedLatency(config.latency());
    this.faults = new InjectedFaults(config.faults());
    for (FaultKind kind : FaultKind.values()) {
      faultCounts.put(
          kind,
          Counter.builder("gateway_injected_faults")
              .description("Faults the memory engine injected (engine.memory.faults), by kind")
              .tag("kind", kind.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
    this.delays =
        Timer.builder("gateway_injected_delay")
            .description("Delays the memory engine put before its answers (engine.memory.latency)")
            .register(registry);
    Gauge.builder("gateway_delayed_answers", delayed, AtomicInteger::get)
        .description("Answers waiting out an injected delay now")
        .register(registry);
  }

  /** Builds the engine, reading the profile file if one is named (blocking: start-up only). */
  public static MemoryEngine create(
      Vertx vertx, GatewayConfig.Memory config, MeterRegistry registry) {
    List<Profile> profiles =
        config.profilesFile() == null
            ? List.of()
            : ProfileFile.read(Path.of(config.profilesFile()));
    MemoryEngine engine = new MemoryEngine(vertx, config, profiles, registry);
    LOG.info(
        "memory engine: {} profiles, {}{}",
        engine.profiles.size(),
        engine.everyTriggerActive()
            ? "every trigger id active"
            : engine.triggers.size() + " trigger(s)",
        config.autoProfiles() ? ", auto_profiles on" : "");
    if (engine.latency.isOn()) {
      LOG.info("memory engine: injected latency {}", config.latency());
    }
    return engine;
  }

  public Journal journal() {
    return journal;
  }

  /**
   * Begins replacing every profile: the upload parses and indexes its lines as they arrive, and
   * {@link #swapIn} puts the finished set in force at once.
   */
  public ProfileUpload profileUpload() {
    return new ProfileUpload(uploads.incrementAndGet(), autoProfiles);
  }

  /**
   * Puts a finished upload's set in force, unless an upload begun later was swapped in first; a
   * batch reads the set once, so it sees the old one or the new one. Answers how many there are
   * now.
   */
  public synchronized int swapIn(ProfileUpload upload) {
    if (!upload.finished) {
      throw new IllegalStateException("an upload is swapped in once finished");
    }
    if (upload.number < swappedUpload) {
      LOG.info("admin: profiles of an earlier upload not swapped in: a later one already was");
      return profiles.size();
    }
    swappedUpload = upload.number;
    int before = profiles.size();
    profiles = upload.index;
    LOG.info("admin: profiles replaced: {} before, {} now", before, upload.index.size());
    return upload.index.size();
  }

  /**
   * With {@code auto_profiles} on and no trigger listed, every trigger id is active (SPEC §9); the
   * first trigger listed, in the config or through the admin API, ends that.
   */
  private boolean everyTriggerActive() {
    return autoProfiles && triggers.isEmpty();
  }

  /** The trigger mailings listed, by id. */
  public Map<Long, Trigger> triggers() {
    return new TreeMap<>(triggers);
  }

  /** Adds or replaces a trigger mailing, from the next batch on. */
  public void putTrigger(Trigger trigger) {
    Trigger before = triggers.put(trigger.id(), trigger);
    LOG.info(
        "admin: trigger {} {} (active: {}, {} token(s))",
        trigger.id(),
        before == null ? "added" : "changed",
        trigger.active(),
        trigger.tokens().size());
  }

  /** Removes a trigger mailing; false when there was none with that id. */
  public boolean removeTrigger(long id) {
    boolean removed = triggers.remove(id) != null;
    if (removed) {
      LOG.info("admin: trigger {} removed", id);
    }
    return removed;
  }

  public Latency latency() {
    return latency.config();
  }

  /** From the next batch on, answers wait as {@code next} says. */
  public void latency(Latency next) {
    latency = new InjectedLatency(next);
  }

  public Faults faults() {
    return faults.config();
  }

  /** From the next batch on, faults are injected as {@code next} says. */
  public void faults(Faults next) {
    faults = new InjectedFaults(next);
  }

  @Override
  public Future<LaunchResult> launch(StartBatch batch) {
    try {
      checkTrigger(batch);
    } catch (ApiError refused) {
      return Future.failedFuture(refused);
    }
    Fault fault = faults.pick(batch.triggerId(), batch.token());
    if (fault != null) {
      faultCounts.get(fault.kind()).increment();
      if (fault.kind() == FaultKind.ERROR) {
        // Refused as Altcraft refuses: nothing launched.
        return Future.failedFuture(refusal(fault));
      }
    }
    double keepShare = fault != null && fault.kind() == FaultKind.PARTIAL ? fault.keepShare() : 1;
    Future<LaunchResult> launched =
        batch.itemCount() > OFFLOAD_ITEMS
            ? vertx.executeBlocking(() -> match(batch, keepShare), false)
            : Future.succeededFuture(match(batch, keepShare));
    Delivery delivery = fault == null ? null : delivery(fault.kind());
    if (delivery != null) {
      launched =
          launched.map(
              result -> new LaunchResult.Misdelivered((Launched) result, delivery, fault.slowMs()));
    }
    InjectedLatency delay = latency;
    if (!delay.isOn()) {
      return launched;
    }
    // Launched at once, answered after the delay, as a slow server does; the wait is a timer.
    long delayNanos = delay.nextNanos(batch.itemCount());
    return launched.map(result -> after(delayNanos, result));
  }

  private static Delivery delivery(FaultKind kind) {
    return switch (kind) {
      case RESET -> Delivery.RESET;
      case CLOSE -> Delivery.CLOSE;
      case HANG -> Delivery.HANG;
      case SLOW -> Delivery.SLOW;
      case ERROR, PARTIAL -> null;
    };
  }

  private static ApiError refusal(Fault fault) {
    ErrorCode code =
        switch (fault.status()) {
          case 429 -> ErrorCode.TOO_MANY_REQUESTS;
          case 500 -> ErrorCode.INTERNAL_ERROR;
          default -> ErrorCode.SERVICE_UNAVAILABLE;
        };
    ApiError refused = ApiError.of(code, "injected fault (engine.memory.faults)");
    return code == ErrorCode.INTERNAL_ERROR
        ? refused
        : refused.withHeaders(Map.of("Retry-After", Long.toString(fault.retryAfterSeconds())));
  }

  private LaunchResult after(long delayNanos, LaunchResult result) {
    // Timers count whole milliseconds: the delay is rounded to the nearest, and recorded so.
    long delayMs = (delayNanos + 500_000) / 1_000_000;
    delays.record(delayMs, TimeUnit.MILLISECONDS);
    if (delayMs == 0) {
      return result;
    }
    delayed.incrementAndGet();
    return new LaunchResult.Delayed(result, delayMs, delayed::decrementAndGet);
  }

  private void checkTrigger(StartBatch batch) {
    long id = batch.triggerId();
    if (everyTriggerActive()) {
      return;
    }
    Trigger trigger = triggers.get(id);
    if (trigger == null) {
      throw ApiError.of(ErrorCode.TRIGGER_NOT_FOUND, "trigger " + id + " does not exist");
    }
    if (!trigger.active()) {
      throw ApiError.of(ErrorCode.TRIGGER_NOT_FOUND, "trigger " + id + " is not active");
    }
    if (!trigger.tokens().isEmpty() && !trigger.tokens().contains(batch.token())) {
      throw ApiError.of(ErrorCode.ACCESS_DENIED, "this token may not launch trigger " + id);
    }
  }

  /** Matches and launches; with {@code keepShare} below 1, only that share of the profiles. */
  private LaunchResult match(StartBatch batch, double keepShare) {
    List<Object> items = batch.items().getList();
    ProfileIndex index = profiles;
    Set<String> launched = new LinkedHashSet<>();
    int missed = 0;
    for (Object item : items) {
      String id = index.find(batch.matching(), asMap(item), batch.fieldName());
      if (id == null) {
        missed++;
      } else {
        launched.add(id);
      }
    }
    List<String> ids = new ArrayList<>(launched);
    if (keepShare < 1) {
      // A hair over, so that 100 × 0.29 (28.999999999999996 in doubles) keeps 29.
      ids = new ArrayList<>(ids.subList(0, (int) Math.floor(ids.size() * keepShare + 1e-9)));
    }
    journal.record(batch.triggerId(), ids, batch.requestId());
    launches.increment(ids.size());
    if (missed > 0) {
      unmatched.increment(missed);
      LOG.debug("request {}: {} items matched no profile", batch.requestId(), missed);
    }
    return new Launched(ids, missed);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object item) {
    return item instanceof JsonObject json ? json.getMap() : (Map<String, Object>) item;
  }
}
