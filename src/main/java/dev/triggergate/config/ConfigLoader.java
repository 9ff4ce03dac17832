package dev.triggergate.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.triggergate.config.GatewayConfig.AccessLog;
import dev.triggergate.config.GatewayConfig.Admin;
import dev.triggergate.config.GatewayConfig.Auth;
import dev.triggergate.config.GatewayConfig.Breaker;
import dev.triggergate.config.GatewayConfig.Dedup;
import dev.triggergate.config.GatewayConfig.DedupStoreType;
import dev.triggergate.config.GatewayConfig.Engine;
import dev.triggergate.config.GatewayConfig.EngineType;
import dev.triggergate.config.GatewayConfig.Errors;
import dev.triggergate.config.GatewayConfig.Fault;
import dev.triggergate.config.GatewayConfig.FaultKind;
import dev.triggergate.config.GatewayConfig.Faults;
import dev.triggergate.config.GatewayConfig.Http2;
import dev.triggergate.config.GatewayConfig.HttpStatusMode;
import dev.triggergate.config.GatewayConfig.Latency;
import dev.triggergate.config.GatewayConfig.LatencyShape;
import dev.triggergate.config.GatewayConfig.Limits;
import dev.triggergate.config.GatewayConfig.Memory;
import dev.triggergate.config.GatewayConfig.Policy;
import dev.triggergate.config.GatewayConfig.PolicyBackend;
import dev.triggergate.config.GatewayConfig.PolicyKey;
import dev.triggergate.config.GatewayConfig.PolicyUnit;
import dev.triggergate.config.GatewayConfig.RateLimits;
import dev.triggergate.config.GatewayConfig.Redis;
import dev.triggergate.config.GatewayConfig.RedisType;
import dev.triggergate.config.GatewayConfig.Server;
import dev.triggergate.config.GatewayConfig.StoreFailure;
import dev.triggergate.config.GatewayConfig.Tls;
import dev.triggergate.config.GatewayConfig.Trigger;
import dev.triggergate.config.GatewayConfig.Upstream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds a {@link GatewayConfig} from the YAML file, then {@code TG_…} environment variables
 * ({@code TG_SERVER__PORT=9090} sets {@code server.port}), then checks every value.
 */
public final class ConfigLoader {
  public static final String ENV_PREFIX = "TG_";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** A body is read into one buffer, whose size is an int: 1 GiB is the most any cap may be. */
  private static final long BODY_MAX_BYTES = 1L << 30;

  private static final Breaker UPSTREAM_BREAKER = new Breaker(3, 50, 20, 10, 10_000, 2);

  /**
   * Redis serves every request with a policy on it: a window of many calls, so a few slow ones
   * never take it out, and a short rest, as its fallback is a worse answer than Redis's.
   */
  private static final Breaker REDIS_BREAKER = new Breaker(3, 50, 100, 20, 1_000, 3);

  private static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private ConfigLoader() {}

  /**
   * Loads the configuration.
   *
   * @param file the YAML file
   * @param required whether a missing file is an error (it is when named with {@code --conf})
   * @param env the environment to take overrides from
   */
  public static GatewayConfig load(Path file, boolean required, Map<String, String> env) {
    ObjectNode root = readFile(file, required);
    applyEnvironment(root, env);
    return read(new ConfigNode("", root));
  }

  /** Reads configuration text alone, without a file or environment (tests, defaults). */
  public static GatewayConfig parse(String yaml) {
    ObjectNode root = parseYaml(yaml, "configuration");
    return read(new ConfigNode("", root));
  }

  private static ObjectNode readFile(Path file, boolean required) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      if (required) {
        throw new ConfigException(file + ": no such configuration file");
      }
      return JsonNodeFactory.instance.objectNode();
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
    return parseYaml(text, file.toString());
  }

  private static ObjectNode parseYaml(String text, String source) {
    JsonNode node;
    try {
      node = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!node.isObject()) {
      throw new ConfigException(source + ": expected a mapping at the top level");
    }
    return (ObjectNode) node;
  }

  /**
   * Overlays {@code TG_A__B=value} as {@code a.b: value}. A value that starts with {@code [} or
   * {@code {} is read as YAML, so lists of mappings can come from the environment too, and so is one
   * in double quotes, so a string starting with either can too.
   */
  static void applyEnvironment(ObjectNode root, Map<String, String> env) {
    for (Map.Entry<String, String> entry : new TreeMap<>(env).entrySet()) {
      String name = entry.getKey();
      if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
        continue;
      }
      String[] path = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).split("__");
      ObjectNode parent = root;
      for (int i = 0; i < path.length - 1; i++) {
        JsonNode child = parent.get(path[i]);
        if (child == null || !child.isObject()) {
          child = parent.putObject(path[i]);
        }
        parent = (ObjectNode) child;
      }
      parent.set(path[path.length - 1], envValue(name, entry.getValue()));
    }
  }

  private static JsonNode envValue(String name, String value) {
    String trimmed = value.trim();
    if (trimmed.startsWith("[") || trimmed.startsWith("{") || trimmed.startsWith("\"")) {
      try {
        return YAML.readTree(trimmed);
      } catch (JsonProcessingException e) {
        // Where, not what: the value may be a secret.
        throw new ConfigException(
            name
                + ": a value starting with [, { or \" is read as YAML, and this one is not valid"
                + " YAML"
                + (e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")")
                + "; to mean a string that starts with [ or {, put it in double quotes");
      }
    }
    return TextNode.valueOf(value);
  }

  private static GatewayConfig read(ConfigNode root) {
    Server server = server(root.object("server"));
    Limits limits = limits(root.object("limits"));
    Errors errors = errors(root.object("errors"));
    Engine engine = engine(root.object("engine"));
    long longestWaitMs = engine.upstream().longestWaitMs();
    if (engine.type() == EngineType.UPSTREAM && server.idleTimeoutMs() <= longestWaitMs) {
      // The idle timer also runs while a request waits for its answer, and nothing moves then.
      throw new ConfigException(
          "server.idle_timeout_ms: more than engine.upstream's pool_wait_timeout_ms +"
              + " connect_timeout_ms (twice with several urls) + exchange_timeout_ms ("
              + longestWaitMs
              + "), or a client waiting for a slow answer is cut off; got "
              + server.idleTimeoutMs());
    }
    Redis redis = redis(root.object("redis"));
    RateLimits rateLimits = rateLimits(root.object("rate_limits"), redis);
    Dedup dedup = dedup(root.object("dedup"), redis);
    Admin admin = admin(root.object("admin"), engine.type(), server);
    Auth auth = auth(root.object("auth"));
    AccessLog accessLog = accessLog(root.object("access_log"));
    root.finish();
    return new GatewayConfig(
        server, limits, errors, engine, redis, rateLimits, dedup, auth, accessLog, admin);
  }

  private static Server server(ConfigNode node) {
    long hour = 3_600_000;
    Server server =
        new Server(
            node.string("host", "0.0.0.0"),
            (int) node.integer("port", 8080, 0, 65535),
            (int) node.integer("event_loops", 0, 0, 1024),
            node.integer("shutdown_timeout_ms", 30_000, 0, hour),
            node.integer("idle_timeout_ms", 60_000, 100, hour),
            node.integer("head_timeout_ms", 10_000, 100, hour),
            node.integer("body_timeout_ms", 120_000, 100, hour),
            node.integer("body_min_bytes_per_second", 4_096, 0, 1L << 30),
            node.integer("write_timeout_ms", 30_000, 100, hour),
            (int) node.integer("max_connections", 10_000, 1, 10_000_000),
            (int) node.integer("max_header_bytes", 8_192, 256, 1 << 20),
            (int) node.integer("max_uri_bytes", 4_096, 256, 1 << 20),
            node.bool("h2c", false),
            http2(node.object("http2")),
            tls(node.object("tls")));
    node.finish();
    return server;
  }

  private static Http2 http2(ConfigNode node) {
    Http2 http2 =
        new Http2(
            (int) node.integer("max_concurrent_streams", 100, 1, 10_000),
            (int) node.integer("max_header_list_bytes", 8_192, 256, 1 << 20));
    node.finish();
    return http2;
  }

  private static Tls tls(ConfigNode node) {
    String certChain = readable(node, "cert_chain");
    String key = readable(node, "key");
    String pkcs12 = readable(node, "pkcs12");
    String password = node.string("password", null);
    node.finish();
    if (pkcs12 == null && password != null) {
      // Vert.x reads only unencrypted PEM keys: a password here would be silently ignored.
      throw node.invalid("password", "only with pkcs12 (a PEM key must not be encrypted)");
    }
    if (certChain == null && key == null && pkcs12 == null) {
      return null;
    }
    if (pkcs12 != null && (certChain != null || key != null)) {
      throw node.invalid("pkcs12", "either pkcs12 or cert_chain and key, not both");
    }
    if (pkcs12 == null && (certChain == null || key == null)) {
      throw node.invalid(certChain == null ? "cert_chain" : "key", "cert_chain and key together");
    }
    return new Tls(certChain, key, pkcs12, password);
  }

  private static String readable(ConfigNode node, String name) {
    String file = node.string(name, null);
    if (file != null && !Files.isReadable(Path.of(file))) {
      throw node.invalid(name, "a readable file, got \"" + file + "\"");
    }
    return file;
  }

  private static Limits limits(ConfigNode node) {
    long max = 1L << 40;
    long bodyMax = node.integer("body_max_bytes", 10L << 20, 1, BODY_MAX_BYTES);
    long filesMax = node.integer("body_with_files_max_bytes", 100L << 20, 1, BODY_MAX_BYTES);
    long largestBody = Math.max(bodyMax, filesMax);
    // 0 = sized from the heap: a quarter each for bodies and their decoded forms leaves the rest
    // for everything else (the dedup cache, the journal, the engine's work).
    long quarterHeap = Runtime.getRuntime().maxMemory() / 4;
    long inFlightBytes = node.integer("max_in_flight_bytes", 0, 0, max);
    long decodingBytes = node.integer("max_decoding_bytes", 0, 0, max);
    Limits limits =
        new Limits(
            bodyMax,
            filesMax,
            (int) node.integer("max_items", 0, 0, Integer.MAX_VALUE),
            (int) node.integer("max_in_flight", 10_000, 1, Integer.MAX_VALUE),
            inFlightBytes == 0 ? Math.max(quarterHeap, largestBody) : inFlightBytes,
            decodingBytes == 0 ? quarterHeap : decodingBytes,
            node.integer("decode_wait_ms", 10_000, 0, 3_600_000),
            node.integer("offload_bytes", 256L << 10, 0, max));
    if (limits.maxInFlightBytes() < largestBody) {
      throw node.invalid(
          "max_in_flight_bytes",
          "at least the largest body allowed ("
              + largestBody
              + "), or such a body could never be read; got "
              + limits.maxInFlightBytes());
    }
    node.finish();
    return limits;
  }

  private static Errors errors(ConfigNode node) {
    Errors errors =
        new Errors(node.choice("http_status", HttpStatusMode.MIRROR, HttpStatusMode.class));
    node.finish();
    return errors;
  }

  private static Engine engine(ConfigNode node) {
    EngineType type = node.choice("type", EngineType.MEMORY, EngineType.class);
    Memory memory = memory(node.object("memory"));
    Upstream upstream = upstream(node.object("upstream"));
    if (type == EngineType.UPSTREAM && upstream.urls().isEmpty()) {
      throw node.invalid("upstream.urls", "at least one base URL when type is upstream");
    }
    node.finish();
    return new Engine(type, memory, upstream);
  }

  private static Upstream upstream(ConfigNode node) {
    List<String> urls = node.strings("urls");
    for (int i = 0; i < urls.size(); i++) {
      String problem = baseUrlProblem(urls.get(i));
      if (problem != null) {
        throw node.invalid("urls[" + i + "]", problem + ", got \"" + urls.get(i) + "\"");
      }
    }
    String trustStore = node.string("trust_store", null);
    if (trustStore != null && !Files.isReadable(Path.of(trustStore))) {
      throw node.invalid("trust_store", "a readable file, got \"" + trustStore + "\"");
    }
    long responseTimeoutMs = node.integer("response_timeout_ms", 30_000, 1, 3_600_000);
    long exchangeTimeoutMs = node.integer("exchange_timeout_ms", 50_000, 1, 3_600_000);
    if (exchangeTimeoutMs < responseTimeoutMs) {
      throw node.invalid(
          "exchange_timeout_ms",
          "at least response_timeout_ms (" + responseTimeoutMs + "), got " + exchangeTimeoutMs);
    }
    Upstream upstream =
        new Upstream(
            List.copyOf(urls),
            node.integer("connect_timeout_ms", 2_000, 1, 3_600_000),
            node.integer("pool_wait_timeout_ms", 1_000, 1, 3_600_000),
            responseTimeoutMs,
            node.integer("read_idle_timeout_ms", 10_000, 1, 3_600_000),
            exchangeTimeoutMs,
            (int) node.integer("pool_size", 64, 1, 100_000),
            node.integer("pool_idle_timeout_ms", 30_000, 100, 3_600_000),
            node.bool("http2", false),
            trustStore,
            node.string("trust_store_password", null),
            (int) node.integer("buffer_answer_bytes", 256L << 10, 0, 64L << 20),
            breaker(node.object("breaker"), UPSTREAM_BREAKER));
    node.finish();
    return upstream;
  }

  /** The URL when it parses, has a host and one of the two schemes; else null. */
  private static URI absolute(String url, String plain, String secure) {
    try {
      URI uri = new URI(url);
      boolean known = plain.equals(uri.getScheme()) || secure.equals(uri.getScheme());
      return known && uri.getHost() != null ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** Why a base URL cannot be used, or null when it can. */
  private static String baseUrlProblem(String url) {
    URI uri = absolute(url, "http", "https");
    if (uri == null) {
      return "an absolute http or https URL with a host";
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      return "a base URL without user info, query or fragment";
    }
    return null;
  }

  private static Breaker breaker(ConfigNode node, Breaker defaults) {
    Breaker breaker =
        new Breaker(
            (int) node.integer("connect_failures", defaults.connectFailures(), 1, 1_000),
            (int) node.integer("failure_rate_percent", defaults.failureRatePercent(), 1, 100),
            (int) node.integer("window", defaults.window(), 1, 10_000),
            (int) node.integer("min_calls", defaults.minCalls(), 1, 10_000),
            node.integer("open_ms", defaults.openMs(), 1, 3_600_000),
            (int) node.integer("half_open_calls", defaults.halfOpenCalls(), 1, 1_000));
    node.finish();
    return breaker;
  }

  private static Memory memory(ConfigNode node) {
    Memory memory =
        new Memory(
            node.bool("auto_profiles", true),
            node.string("profiles_file", null),
            List.copyOf(node.objects("triggers", ConfigLoader::trigger)),
            (int) node.integer("journal_max_entries", 100_000, 0, 100_000_000),
            latency(node.object("latency")),
            faults(node.object("faults")));
    node.finish();
    return memory;
  }

  private static Faults faults(ConfigNode node) {
    Long seed = seed(node);
    List<Fault> rules = List.copyOf(node.objects("rules", ConfigLoader::fault));
    node.finish();
    return new Faults(seed, rules);
  }

  private static Fault fault(ConfigNode node) {
    FaultKind kind = node.choice("kind", null, FaultKind.class);
    int status = (int) node.integer("status", 503, 100, 599);
    if (status != 429 && status != 500 && status != 503) {
      throw node.invalid("status", "429, 500 or 503, got " + status);
    }
    String trigger = node.string("trigger_id", null);
    Long triggerId;
    try {
      triggerId = trigger == null ? null : Long.valueOf(trigger.trim());
    } catch (NumberFormatException e) {
      throw node.invalid("trigger_id", "a trigger id, got \"" + trigger + "\"");
    }
    Fault fault =
        new Fault(
            kind,
            node.decimal("probability", 0, 0, 1),
            status,
            node.integer("retry_after_s", 1, 0, 86_400),
            node.integer("slow_ms", 1_000, 1, 3_600_000),
            node.decimal("keep_share", 0.5, 0, 1),
            triggerId,
            node.string("token", null));
    node.finish();
    return fault;
  }

  /** A seed for repeatable draws: a whole number, or null. */
  private static Long seed(ConfigNode node) {
    String seed = node.string("seed", null);
    try {
      return seed == null ? null : Long.valueOf(seed.trim());
    } catch (NumberFormatException e) {
      throw node.invalid("seed", "a whole number, got \"" + seed + "\"");
    }
  }

  private static Latency latency(ConfigNode node) {
    long hour = 3_600_000;
    LatencyShape shape = node.choice("distribution", LatencyShape.NONE, LatencyShape.class);
    long fixedMs = node.integer("fixed_ms", 0, 0, hour);
    long minMs = node.integer("min_ms", 0, 0, hour);
    long maxMs = node.integer("max_ms", 0, 0, hour);
    long medianMs = node.integer("median_ms", 0, 0, hour);
    double sigma = node.decimal("sigma", 0.5, 0, 10);
    long clampMinMs = node.integer("clamp_min_ms", 0, 0, hour);
    long clampMaxMs = node.integer("clamp_max_ms", hour, 0, hour);
    long perItemMicros = node.integer("per_item_us", 0, 0, 1_000_000);
    Long seed = seed(node);
    if (shape == LatencyShape.UNIFORM && minMs > maxMs) {
      throw node.invalid("max_ms", "at least min_ms (" + minMs + "), got " + maxMs);
    }
    if (shape == LatencyShape.LOGNORMAL && medianMs == 0) {
      throw node.invalid("median_ms", "more than 0 for a lognormal distribution");
    }
    if (clampMinMs > clampMaxMs) {
      throw node.invalid(
          "clamp_max_ms", "at least clamp_min_ms (" + clampMinMs + "), got " + clampMaxMs);
    }
    node.finish();
    return new Latency(
        shape, fixedMs, minMs, maxMs, medianMs, sigma, clampMinMs, clampMaxMs, perItemMicros, seed);
  }

  private static Trigger trigger(ConfigNode node) {
    return new Trigger(
        node.requiredInteger("id", 1, Long.MAX_VALUE),
        node.bool("active", true),
        List.copyOf(node.strings("tokens")));
  }

  private static Redis redis(ConfigNode node) {
    RedisType type = node.choice("type", RedisType.STANDALONE, RedisType.class);
    List<String> endpoints = List.copyOf(node.strings("endpoints"));
    for (int i = 0; i < endpoints.size(); i++) {
      String problem = redisEndpointProblem(endpoints.get(i), type);
      if (problem != null) {
        // Named by position, not echoed: a rejected URL may carry a password.
        throw node.invalid("endpoints[" + i + "]", problem);
      }
      if (!scheme(endpoints.get(i)).equals(scheme(endpoints.get(0)))) {
        throw node.invalid(
            "endpoints[" + i + "]", "the same scheme as endpoints[0] (TLS is all or nothing)");
      }
    }
    if (type == RedisType.STANDALONE && endpoints.size() > 1) {
      throw node.invalid(
          "endpoints", "one URL for type standalone (cluster or sentinel take several)");
    }
    String masterName = node.string("master_name", null);
    if (type == RedisType.SENTINEL && !endpoints.isEmpty() && masterName == null) {
      throw node.invalid("master_name", "required with type sentinel: the master it watches");
    }
    if (type != RedisType.SENTINEL && masterName != null) {
      throw node.invalid("master_name", "only for type sentinel");
    }
    String user = node.string("user", null);
    String password = node.string("password", null);
    if (user != null && password == null) {
      throw node.invalid("user", "needs redis.password as well");
    }
    String trustStore = node.string("trust_store", null);
    if (trustStore != null && !Files.isReadable(Path.of(trustStore))) {
      throw node.invalid("trust_store", "a readable file, got \"" + trustStore + "\"");
    }
    if (trustStore != null && !(endpoints.isEmpty() || scheme(endpoints.get(0)).equals("rediss"))) {
      throw node.invalid("trust_store", "only for rediss:// endpoints");
    }
    Redis redis =
        new Redis(
            type,
            endpoints,
            masterName,
            user,
            password,
            trustStore,
            node.string("trust_store_password", null),
            (int) node.integer("pool_size", 1, 1, 64),
            (int) node.integer("max_pending_commands", 4_096, 1, 1_000_000),
            node.integer("connect_timeout_ms", 1_000, 1, 60_000),
            node.integer("command_timeout_ms", 250, 1, 60_000),
            breaker(node.object("breaker"), REDIS_BREAKER));
    node.finish();
    return redis;
  }

  /** Why a Redis endpoint cannot be used, or null when it can. */
  private static String redisEndpointProblem(String url, RedisType type) {
    URI uri = absolute(url, "redis", "rediss");
    if (uri == null) {
      return "a redis:// or rediss:// URL with a host";
    }
    if (uri.getRawUserInfo() != null) {
      // The endpoints are logged; a password in them would be too.
      return "a URL without user info (set redis.user and redis.password)";
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return "a URL without query or fragment";
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/")) {
      if (type != RedisType.STANDALONE || !path.matches("/[0-9]{1,2}")) {
        return "a URL whose path is at most a database number (standalone only)";
      }
    }
    return null;
  }

  private static String scheme(String url) {
    return url.substring(0, url.indexOf(':'));
  }

  private static RateLimits rateLimits(ConfigNode node, Redis redis) {
    refuseMovedKey(node, "redis_url", "redis.endpoints (a list, with redis.type: standalone)");
    refuseMovedKey(node, "redis_timeout_ms", "redis.command_timeout_ms");
    int maxKeys = (int) node.integer("local_max_keys", 100_000, 1, 100_000_000);
    List<Policy> policies = List.copyOf(node.objects("policies", ConfigLoader::policy));
    Set<String> names = new HashSet<>();
    for (int i = 0; i < policies.size(); i++) {
      Policy policy = policies.get(i);
      if (!names.add(policy.name())) {
        throw node.invalid("policies[" + i + "].name", "\"" + policy.name() + "\" is used twice");
      }
      if (policy.backend() == PolicyBackend.REDIS && !redis.configured()) {
        throw node.invalid("policies[" + i + "].backend", "redis needs redis.endpoints");
      }
    }
    node.finish();
    return new RateLimits(maxKeys, policies);
  }

  /** A key an earlier version read: refused by name, so an old file is not silently half-used. */
  private static void refuseMovedKey(ConfigNode node, String name, String replacement) {
    if (node.isSet(name)) {
      throw node.invalid(name, "moved to " + replacement);
    }
  }

  private static Policy policy(ConfigNode node) {
    String name = node.string("name", null);
    if (name == null || !POLICY_NAME.matcher(name).matches()) {
      throw node.invalid(
          "name", "expected letters, digits, '.', '_' or '-' (it names the policy in headers)");
    }
    return new Policy(
        name,
        node.choice("key", null, PolicyKey.class),
        node.choice("unit", PolicyUnit.REQUESTS, PolicyUnit.class),
        (int) node.requiredInteger("limit", 1, Integer.MAX_VALUE),
        node.requiredInteger("period_ms", 1, 86_400_000L * 366),
        node.integer("max_wait_ms", 0, 0, 3_600_000),
        node.choice("backend", PolicyBackend.LOCAL, PolicyBackend.class),
        node.choice("on_store_failure", StoreFailure.LOCAL, StoreFailure.class));
  }

  private static Dedup dedup(ConfigNode node, Redis redis) {
    Dedup dedup =
        new Dedup(
            node.bool("enabled", true),
            node.integer("ttl_ms", 86_400_000, 1, 30 * 86_400_000L),
            (int) node.integer("max_entries", 100_000, 1, 100_000_000),
            node.integer("max_bytes", 64L << 20, 1L << 20, 1L << 40),
            node.choice("store", DedupStoreType.LOCAL, DedupStoreType.class),
            node.integer("hold_ms", 60_000, 100, 86_400_000));
    if (dedup.enabled() && dedup.store() == DedupStoreType.REDIS && !redis.configured()) {
      throw node.invalid("store", "redis needs redis.endpoints");
    }
    node.finish();
    return dedup;
  }

  private static Admin admin(ConfigNode node, EngineType engine, Server server) {
    boolean enabled = node.bool("enabled", false);
    String token = node.string("token", null);
    long profilesMaxBytes = node.integer("profiles_max_bytes", 64L << 20, 1, BODY_MAX_BYTES);
    // Absent: served on server.port. The fallback -1 is outside the range, so it cannot be set.
    long port = node.integer("port", -1, 0, 65535);
    String host = node.string("host", null);
    node.finish();
    if (port >= 0 && !enabled) {
      throw node.invalid("port", "only with admin.enabled true (it is the admin API's listener)");
    }
    if (host != null && host.isBlank()) {
      throw node.invalid("host", "a host name or address to listen on, got \"" + host + "\"");
    }
    if (host != null && port < 0) {
      throw node.invalid("host", "only with admin.port (without it, /admin is on server.port)");
    }
    if (port > 0 && port == server.port()) {
      throw node.invalid(
          "port",
          "another port than server.port ("
              + server.port()
              + "); leave admin.port out to serve /admin there");
    }
    if (!enabled) {
      return new Admin(false, null, profilesMaxBytes, null, null);
    }
    if (engine != EngineType.MEMORY) {
      throw node.invalid("enabled", "true only with engine.type memory, whose state it changes");
    }
    if (token == null || token.length() < 16) {
      throw node.invalid("token", "at least 16 characters when the admin API is enabled");
    }
    return port < 0
        ? new Admin(true, token, profilesMaxBytes, null, null)
        : new Admin(true, token, profilesMaxBytes, host == null ? server.host() : host, (int) port);
  }

  /** A latency as the admin API receives it: a JSON object of the config section's keys. */
  public static Latency latency(String json) {
    return latency(new ConfigNode("latency", jsonObject(json)));
  }

  /**
   * A trigger mailing as the admin API receives it: its id from the path, the rest a JSON object.
   */
  public static Trigger trigger(long id, String json) {
    ConfigNode node = new ConfigNode("trigger", jsonObject(json));
    Trigger trigger =
        new Trigger(id, node.bool("active", true), List.copyOf(node.strings("tokens")));
    node.finish();
    return trigger;
  }

  /** Fault rules as the admin API receives them, likewise. */
  public static Faults faults(String json) {
    return faults(new ConfigNode("faults", jsonObject(json)));
  }

  private static ObjectNode jsonObject(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ConfigException("the body: not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new ConfigException("the body: expected a JSON object");
    }
    return (ObjectNode) node;
  }

  private static Auth auth(ConfigNode node) {
    List<String> tokens = node.strings("allowed_tokens");
    for (int i = 0; i < tokens.size(); i++) {
      if (tokens.get(i).isEmpty()) {
        throw node.invalid("allowed_tokens[" + i + "]", "a non-empty token");
      }
    }
    Auth auth = new Auth(List.copyOf(tokens), readable(node, "allowed_tokens_file"));
    node.finish();
    return auth;
  }

  private static AccessLog accessLog(ConfigNode node) {
    AccessLog accessLog =
        new AccessLog(
            node.bool("enabled", true),
            node.string("path", null),
            node.integer("buffer_bytes", 8L << 20, 128 * 1024, 1L << 30),
            node.integer("flush_interval_ms", 100, 1, 10_000));
    node.finish();
    return accessLog;
  }
}
