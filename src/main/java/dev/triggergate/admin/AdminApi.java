package dev.triggergate.admin;

import dev.triggergate.api.ApiError;
import dev.triggergate.api.ErrorCode;
import dev.triggergate.api.RequestWork;
import dev.triggergate.api.Sha256;
import dev.triggergate.config.ConfigException;
import dev.triggergate.config.ConfigLoader;
import dev.triggergate.config.GatewayConfig.Fault;
import dev.triggergate.config.GatewayConfig.Faults;
import dev.triggergate.config.GatewayConfig.Latency;
import dev.triggergate.config.GatewayConfig.Trigger;
import dev.triggergate.engine.memory.Journal;
import dev.triggergate.engine.memory.MemoryEngine;
import dev.triggergate.engine.memory.ProfileUpload;
import dev.triggergate.intake.BodyReader;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory engine's admin API (SPEC §8, {@code admin-openapi.yaml}): read and change the injected
 * latency and faults at run time, list and change the trigger mailings, replace the profiles, and
 * query or reset the journal. Off unless {@code admin.enabled}; then every request carries {@code
 * admin.token} as a bearer token, compared in constant time. Every change is logged.
 */
public final class AdminApi {
  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

  /** Where the admin API lives. */
  public static final String PREFIX = "/admin";

  /** The operations it serves, as the OpenAPI file lists them. */
  public static final List<Map.Entry<HttpMethod, String>> OPERATIONS =
      List.of(
          Map.entry(HttpMethod.GET, PREFIX + "/latency"),
          Map.entry(HttpMethod.PUT, PREFIX + "/latency"),
          Map.entry(HttpMethod.GET, PREFIX + "/faults"),
          Map.entry(HttpMethod.PUT, PREFIX + "/faults"),
          Map.entry(HttpMethod.GET, PREFIX + "/journal"),
          Map.entry(HttpMethod.DELETE, PREFIX + "/journal"),
          Map.entry(HttpMethod.GET, PREFIX + "/journal/counts"),
          Map.entry(HttpMethod.PUT, PREFIX + "/profiles"),
          Map.entry(HttpMethod.GET, PREFIX + "/triggers"),
          Map.entry(HttpMethod.PUT, PREFIX + "/triggers/{id}"),
          Map.entry(HttpMethod.DELETE, PREFIX + "/triggers/{id}"));

  private static final int MAX_JOURNAL_ENTRIES = 10_000;
  private static final String BEARER = "Bearer ";

  private final MemoryEngine engine;
  private final byte[] tokenDigest;
  private final BodyReader bodies;
  private final BodyReader uploads;
  // One upload at a time: each builds a whole set of profiles beside the one in force.
  private final AtomicBoolean uploading = new AtomicBoolean();

  /**
   * @param bodies reads a change's body, under its own small cap and the server's body deadlines
   * @param uploads streams a profile upload, likewise under {@code admin.profiles_max_bytes}
   */
  public AdminApi(MemoryEngine engine, String token, BodyReader bodies, BodyReader uploads) {
    this.engine = engine;
    this.tokenDigest = Sha256.of(token);
    this.bodies = bodies;
    this.uploads = uploads;
  }

  /** Adds the admin routes to {@code router}. */
  public void mount(Router router) {
    router.route(PREFIX + "/*").handler(this::authorize);
    router.get(PREFIX + "/latency").handler(ctx -> send(ctx, latencyJson(engine.latency())));
    router.put(PREFIX + "/latency").handler(bodies).handler(change(this::putLatency));
    router.get(PREFIX + "/faults").handler(ctx -> send(ctx, faultsJson(engine.faults())));
    router.put(PREFIX + "/faults").handler(bodies).handler(change(this::putFaults));
    router.get(PREFIX + "/journal").handler(this::journal);
    router.delete(PREFIX + "/journal").handler(this::resetJournal);
    router.get(PREFIX + "/journal/counts").handler(this::counts);
    router.put(PREFIX + "/profiles").handler(this::putProfiles);
    router.get(PREFIX + "/triggers").handler(this::triggers);
    router.put(PREFIX + "/triggers/:id").handler(bodies).handler(change(this::putTrigger));
    router.delete(PREFIX + "/triggers/:id").handler(this::removeTrigger);
  }

  private void putTrigger(RoutingContext ctx, String json) {
    Trigger trigger = ConfigLoader.trigger(triggerId(ctx), json);
    engine.putTrigger(trigger);
    send(ctx, triggerJson(trigger));
  }

  private void triggers(RoutingContext ctx) {
    JsonArray listed = new JsonArray();
    engine.triggers().values().forEach(trigger -> listed.add(triggerJson(trigger)));
    send(ctx, new JsonObject().put("triggers", listed));
  }

  private void removeTrigger(RoutingContext ctx) {
    long id = triggerId(ctx);
    if (!engine.removeTrigger(id)) {
      throw ApiError.of(ErrorCode.TRIGGER_NOT_FOUND, "trigger " + id + " is not listed");
    }
    ctx.response().setStatusCode(204).end();
  }

  private static long triggerId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    try {
      long parsed = Long.parseLong(id);
      if (parsed >= 1) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // Refused below, as any other id that is not a positive whole number.
    }
    throw ApiError.invalid("trigger id: a whole number from 1, got \"" + id + "\"");
  }

  private static JsonObject triggerJson(Trigger trigger) {
    return new JsonObject()
        .put("id", trigger.id())
        .put("active", trigger.active())
        .put("tokens", new JsonArray(trigger.tokens()));
  }

  /**
   * Replaces the profiles with an NDJSON upload, parsed as it streams in: each chunk's lines on a
   * worker while the request waits, paused, then the next chunk. The set is swapped in only once
   * the whole upload parsed, and only while its client is still there to hear of it.
   */
  private void putProfiles(RoutingContext ctx) {
    if (!uploading.compareAndSet(false, true)) {
      ctx.fail(
          ApiError.of(ErrorCode.SERVICE_UNAVAILABLE, "another profile upload is being read")
              .withHeaders(Map.of("Retry-After", "1")));
      return;
    }
    // Tracked work: the next upload may begin only once this one's last parse is over, so that
    // two sets are never being built at once, even when a client leaves mid-upload.
    RequestWork.releaseAtEnd(ctx, () -> uploading.set(false));
    ProfileUpload upload = engine.profileUpload();
    uploads.stream(ctx, chunk -> onWorker(ctx, () -> upload.take(chunk)))
        .compose(read -> onWorker(ctx, upload::finish))
        .onSuccess(
            parsed -> {
              if (RequestWork.isOver(ctx)) {
                LOG.info("admin: profile upload not swapped in: its client left before the answer");
                return;
              }
              send(ctx, new JsonObject().put("profiles", engine.swapIn(upload)));
            })
        .onFailure(
            failure ->
                ctx.fail(
                    failure instanceof ConfigException invalid
                        ? ApiError.invalid("profiles: " + invalid.getMessage())
                        : failure));
  }

  /** Parsing on a worker, tracked, so what the request holds outlives it while it runs. */
  private static Future<Void> onWorker(RoutingContext ctx, Runnable parse) {
    return RequestWork.track(
        ctx,
        ctx.vertx()
            .executeBlocking(
                () -> {
                  parse.run();
                  return null;
                },
                false));
  }

  private void authorize(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      ctx.fail(ApiError.of(ErrorCode.TOKEN_REQUIRED, "the admin API needs its bearer token"));
      return;
    }
    // Digests of equal length, compared in constant time: the token's length leaks nothing.
    if (!MessageDigest.isEqual(tokenDigest, Sha256.of(header.substring(BEARER.length()).trim()))) {
      ctx.fail(ApiError.of(ErrorCode.ACCESS_DENIED, "not the admin token"));
      return;
    }
    ctx.next();
  }

  /** Reads a change from the JSON body; a bad one is a 400 naming the key, like the config's. */
  private static Handler<RoutingContext> change(Change change) {
    return ctx -> {
      Buffer body = ctx.get(BodyReader.BODY);
      try {
        change.apply(ctx, body.toString(StandardCharsets.UTF_8));
      } catch (ConfigException invalid) {
        ctx.fail(ApiError.invalid(invalid.getMessage()));
      }
    };
  }

  @FunctionalInterface
  private interface Change {
    void apply(RoutingContext ctx, String json);
  }

  private void putLatency(RoutingContext ctx, String json) {
    Latency next = ConfigLoader.latency(json);
    Latency before = engine.latency();
    engine.latency(next);
    LOG.info("admin: latency changed from {} to {}", before, next);
    send(ctx, latencyJson(next));
  }

  private void putFaults(RoutingContext ctx, String json) {
    Faults next = ConfigLoader.faults(json);
    Faults before = engine.faults();
    engine.faults(next);
    LOG.info("admin: faults changed from {} to {}", loggable(before), loggable(next));
    send(ctx, faultsJson(next));
  }

  private void journal(RoutingContext ctx) {
    Long trigger = longParam(ctx, "trigger_id");
    Long since = longParam(ctx, "since_ms");
    Long until = longParam(ctx, "until_ms");
    Long limit = longParam(ctx, "limit");
    if (limit != null && (limit < 1 || limit > MAX_JOURNAL_ENTRIES)) {
      throw ApiError.invalid("limit: from 1 to " + MAX_JOURNAL_ENTRIES + ", got " + limit);
    }
    Journal journal = engine.journal();
    String profile = ctx.request().getParam("profile_id");
    String requestId = ctx.request().getParam("request_id");
    int most = limit == null ? 100 : limit.intValue();
    // A scan of the whole ring (millions of entries, maybe): on a worker, not the event loop.
    ctx.vertx()
        .executeBlocking(() -> journal.find(trigger, profile, requestId, since, until, most), false)
        .onSuccess(
            found -> {
              JsonArray entries = new JsonArray();
              for (Journal.Launch launch : found) {
                entries.add(
                    new JsonObject()
                        .put("trigger_id", launch.triggerId())
                        .put("profile_id", launch.profileId())
                        .put("time_ms", launch.timeMillis())
                        .put("request_id", launch.requestId()));
              }
              send(ctx, new JsonObject().put("total", journal.total()).put("entries", entries));
            })
        .onFailure(ctx::fail);
  }

  private void counts(RoutingContext ctx) {
    Journal journal = engine.journal();
    JsonObject perTrigger = new JsonObject();
    journal
        .countsPerTrigger()
        .forEach((trigger, count) -> perTrigger.put(trigger.toString(), count));
    send(ctx, new JsonObject().put("total", journal.total()).put("per_trigger", perTrigger));
  }

  private void resetJournal(RoutingContext ctx) {
    long dropped = engine.journal().total();
    engine.journal().reset();
    LOG.info("admin: journal reset ({} launches forgotten)", dropped);
    ctx.response().setStatusCode(204).end();
  }

  private static Long longParam(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null) {
      return null;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw ApiError.invalid(name + ": a whole number, got \"" + value + "\"");
    }
  }

  /** The latency as the config and {@code PUT /admin/latency} spell it. */
  static JsonObject latencyJson(Latency latency) {
    return new JsonObject()
        .put("distribution", latency.shape().name().toLowerCase(Locale.ROOT))
        .put("fixed_ms", latency.fixedMs())
        .put("min_ms", latency.minMs())
        .put("max_ms", latency.maxMs())
        .put("median_ms", latency.medianMs())
        .put("sigma", latency.sigma())
        .put("clamp_min_ms", latency.clampMinMs())
        .put("clamp_max_ms", latency.clampMaxMs())
        .put("per_item_us", latency.perItemMicros())
        .put("seed", latency.seed());
  }

  /** The fault rules as the config and {@code PUT /admin/faults} spell them. */
  static JsonObject faultsJson(Faults faults) {
    JsonArray rules = new JsonArray();
    for (Fault rule : faults.rules()) {
      rules.add(
          new JsonObject()
              .put("kind", rule.kind().name().toLowerCase(Locale.ROOT))
              .put("probability", rule.probability())
              .put("status", rule.status())
              .put("retry_after_s", rule.retryAfterSeconds())
              .put("slow_ms", rule.slowMs())
              .put("keep_share", rule.keepShare())
              .put("trigger_id", rule.triggerId())
              .put("token", rule.token()));
    }
    return new JsonObject().put("seed", faults.seed()).put("rules", rules);
  }

  /** The rules for the log: a client token a rule is scoped to appears as its short hash. */
  private static String loggable(Faults faults) {
    JsonObject json = faultsJson(faults);
    for (Object rule : json.getJsonArray("rules")) {
      JsonObject fields = (JsonObject) rule;
      String token = fields.getString("token");
      if (token != null) {
        fields.put("token", "sha256:" + HexFormat.of().formatHex(Sha256.of(token), 0, 4));
      }
    }
    return json.encode();
  }

  private static void send(RoutingContext ctx, JsonObject json) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .end(json.toBuffer());
  }
}
