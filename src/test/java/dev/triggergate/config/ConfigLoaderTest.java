package dev.triggergate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.triggergate.config.GatewayConfig.EngineType;
import dev.triggergate.config.GatewayConfig.HttpStatusMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration: file, then environment, then checks that name the key (SPEC §9). */
class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void idleTimeoutMustOutlastTheUpstreamsAnswer() {
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "server: {idle_timeout_ms: 30000}\n"
                        + "engine: {type: upstream, upstream: {urls: [http://a:1]}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "server.idle_timeout_ms: more than engine.upstream's pool_wait_timeout_ms +"
                + " connect_timeout_ms (twice with several urls) + exchange_timeout_ms (53000)");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "server: {idle_timeout_ms: 55000}\n"
                        + "engine: {type: upstream, upstream: {urls: [http://a:1, http://b:1]}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageEndingWith(
            "(56000), or a client waiting for a slow answer is cut off; got 55000");
  }

  @Test
  void injectedLatencyIsReadAndItsContradictionsRefused() {
    GatewayConfig.Latency latency =
        ConfigLoader.parse(
                "engine: {memory: {latency: {distribution: lognormal, median_ms: 120,"
                    + " sigma: 0.8, clamp_max_ms: 2000, per_item_us: 50, seed: 7}}}")
            .engine()
            .memory()
            .latency();
    assertThat(latency)
        .isEqualTo(
            new GatewayConfig.Latency(
                GatewayConfig.LatencyShape.LOGNORMAL, 0, 0, 0, 120, 0.8, 0, 2000, 50, 7L));
    assertThatThrownBy(
            () -> ConfigLoader.parse("engine: {memory: {latency: {distribution: gaussian}}}"))
        .hasMessage(
            "engine.memory.latency.distribution: expected one of none, fixed, uniform, lognormal,"
                + " got \"gaussian\"");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "engine: {memory: {latency: {distribution: uniform, min_ms: 50, max_ms: 10}}}"))
        .hasMessageStartingWith("engine.memory.latency.max_ms: at least min_ms (50), got 10");
    assertThatThrownBy(
            () -> ConfigLoader.parse("engine: {memory: {latency: {distribution: lognormal}}}"))
        .hasMessageStartingWith("engine.memory.latency.median_ms: more than 0");
    assertThatThrownBy(() -> ConfigLoader.parse("engine: {memory: {latency: {sigma: lots}}}"))
        .hasMessage(
            "engine.memory.latency.sigma: expected a number from 0.0 to 10.0, got \"lots\"");
    assertThatThrownBy(() -> ConfigLoader.parse("engine: {memory: {latency: {sigma: -1}}}"))
        .hasMessageStartingWith("engine.memory.latency.sigma: expected a number from 0.0 to 10.0");
  }

  @Test
  void faultRulesAreReadAndAnErrorStatusOtherThanAltcraftsIsRefused() {
    GatewayConfig.Faults faults =
        ConfigLoader.parse(
                "engine: {memory: {faults: {seed: 3, rules: [{kind: error, status: 429,"
                    + " probability: 0.25, retry_after_s: 2, trigger_id: 8}, {kind: slow}]}}}")
            .engine()
            .memory()
            .faults();
    assertThat(faults.seed()).isEqualTo(3L);
    assertThat(faults.rules())
        .containsExactly(
            new GatewayConfig.Fault(
                GatewayConfig.FaultKind.ERROR, 0.25, 429, 2, 1_000, 0.5, 8L, null),
            new GatewayConfig.Fault(
                GatewayConfig.FaultKind.SLOW, 0, 503, 1, 1_000, 0.5, null, null));
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "engine: {memory: {faults: {rules: [{kind: error, status: 404}]}}}"))
        .hasMessage("engine.memory.faults.rules[0].status: 429, 500 or 503, got 404");
    assertThatThrownBy(
            () -> ConfigLoader.parse("engine: {memory: {faults: {rules: [{probability: 1}]}}}"))
        .hasMessageStartingWith("engine.memory.faults.rules[0].kind: required");
  }

  @Test
  void theExchangeDeadlineCannotCutTheWaitForTheHeadShort() {
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "engine: {type: upstream, upstream: {urls: [http://a:1],"
                        + " response_timeout_ms: 5000, exchange_timeout_ms: 4000}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "engine.upstream.exchange_timeout_ms: at least response_timeout_ms (5000), got 4000");
  }

  @Test
  void tlsNeedsAChainAndAKeyOrAPkcs12File() throws Exception {
    Path pem = Files.writeString(dir.resolve("chain.pem"), "x");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {cert_chain: " + pem + "}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tls.key: cert_chain and key together");
    assertThatThrownBy(() -> ConfigLoader.parse("server: {tls: {key: " + dir.resolve("no") + "}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tls.key: a readable file");
    assertThatThrownBy(
            () -> ConfigLoader.parse("server: {tls: {pkcs12: " + dir.resolve("no.p12") + "}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tls.pkcs12: a readable file");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "server: {tls: {pkcs12: "
                        + pem
                        + ", cert_chain: "
                        + pem
                        + ", key: "
                        + pem
                        + "}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tls.pkcs12: either pkcs12 or cert_chain and key, not both");
  }

  @Test
  void tlsPasswordIsOnlyForPkcs12() throws Exception {
    Path pem = Files.writeString(dir.resolve("chain.pem"), "x");
    Path p12 = Files.writeString(dir.resolve("store.p12"), "x");
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    "server: {tls: {cert_chain: " + pem + ", key: " + pem + ", password: p}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.tls.password: only with pkcs12");
    assertThat(
            ConfigLoader.parse("server: {tls: {pkcs12: " + p12 + ", password: p}}").server().tls())
        .isEqualTo(new GatewayConfig.Tls(null, null, p12.toString(), "p"));
  }

  @Test
  void emptyConfigurationGivesTheDocumentedDefaults() {
    GatewayConfig config = ConfigLoader.parse("");

    assertThat(config.server().host()).isEqualTo("0.0.0.0");
    assertThat(config.server().port()).isEqualTo(8080);
    assertThat(config.limits().bodyMaxBytes()).isEqualTo(10L * 1024 * 1024);
    assertThat(config.limits().bodyWithFilesMaxBytes()).isEqualTo(100L * 1024 * 1024);
    assertThat(config.limits().maxItems()).isZero();
    assertThat(config.limits().maxInFlight()).isEqualTo(10_000);
    long quarterHeap = Runtime.getRuntime().maxMemory() / 4;
    assertThat(config.limits().maxInFlightBytes()).isEqualTo(Math.max(quarterHeap, 100L << 20));
    assertThat(config.limits().maxDecodingBytes()).isEqualTo(quarterHeap);
    assertThat(config.server().idleTimeoutMs()).isEqualTo(60_000);
    assertThat(config.server().headTimeoutMs()).isEqualTo(10_000);
    assertThat(config.server().h2c()).isFalse();
    assertThat(config.server().tls()).isNull();
    assertThat(config.auth().allowedTokens()).isEmpty();
    assertThat(config.errors().httpStatus()).isEqualTo(HttpStatusMode.MIRROR);
    assertThat(config.engine().type()).isEqualTo(EngineType.MEMORY);
    assertThat(config.engine().memory().autoProfiles()).isTrue();
    assertThat(config.engine().memory().triggers()).isEmpty();
    assertThat(config.dedup())
        .isEqualTo(
            new GatewayConfig.Dedup(
                true, 86_400_000, 100_000, 64L << 20, GatewayConfig.DedupStoreType.LOCAL, 60_000));
  }

  @Test
  void shippedConfigFileIsValidAndEqualsTheDefaults() {
    GatewayConfig shipped = ConfigLoader.load(Path.of("conf/gateway.yaml"), true, Map.of());

    assertThat(shipped).isEqualTo(ConfigLoader.parse(""));
  }

  @Test
  void environmentOverridesTheFile() throws IOException {
    Path file = write("server: {port: 9000}\nlimits: {max_items: 5}\n");

    GatewayConfig config =
        ConfigLoader.load(
            file,
            true,
            Map.of(
                "TG_SERVER__PORT", "9090",
                "TG_ERRORS__HTTP_STATUS", "always_200",
                "TG_ENGINE__MEMORY__TRIGGERS", "[{id: 8, active: false, tokens: [a, b]}]",
                "TG_ENGINE__MEMORY__AUTO_PROFILES", "false",
                "PATH", "/usr/bin"));

    assertThat(config.server().port()).isEqualTo(9090);
    assertThat(config.limits().maxItems()).isEqualTo(5);
    assertThat(config.errors().httpStatus()).isEqualTo(HttpStatusMode.ALWAYS_200);
    assertThat(config.engine().memory().autoProfiles()).isFalse();
    assertThat(config.engine().memory().triggers())
        .containsExactly(new GatewayConfig.Trigger(8, false, java.util.List.of("a", "b")));
  }

  @Test
  void missingDefaultFileIsFineButANamedOneIsNot() {
    Path missing = dir.resolve("absent.yaml");

    assertThat(ConfigLoader.load(missing, false, Map.of())).isEqualTo(ConfigLoader.parse(""));
    assertThatThrownBy(() -> ConfigLoader.load(missing, true, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("absent.yaml: no such configuration file");
  }

  @Test
  void badValuesNameTheKeyAndWhatWasExpected() {
    assertRefused("server: {port: 70000}", "server.port: expected an integer from 0 to 65535");
    assertRefused("server: {port: abc}", "server.port: expected an integer from 0 to 65535");
    assertRefused("server: {prot: 1}", "server.prot: unknown key");
    assertRefused("limitz: {}", "limitz: unknown key");
    assertRefused("errors: {http_status: sometimes}", "errors.http_status: expected one of");
    assertRefused("limits: {body_max_bytes: 0}", "limits.body_max_bytes: expected an integer");
    assertRefused(
        "engine: {memory: {triggers: [{active: true}]}}", "engine.memory.triggers[0].id: required");
    assertRefused(
        "engine: {memory: {triggers: [{id: 1, colour: red}]}}",
        "engine.memory.triggers[0].colour: unknown key");
    assertRefused("engine: {memory: {auto_profiles: maybe}}", "expected true or false");
    assertRefused(
        "limits: {max_in_flight_bytes: 1000}",
        "limits.max_in_flight_bytes: at least the largest body allowed (104857600)");
    assertRefused(
        "dedup: {ttl_ms: 0}", "dedup.ttl_ms: expected an integer from 1 to 2592000000, got 0");
    assertRefused("dedup: {max_bytes: 1000}", "dedup.max_bytes: expected an integer from 1048576");
    assertRefused("dedup: {store: disk}", "dedup.store: expected one of");
    assertRefused("dedup: {store: redis}", "dedup.store: redis needs redis.endpoints");
    assertRefused("server: [1, 2]", "server: expected a mapping");
    assertRefused("server: {port: 1", "not valid YAML");
  }

  @Test
  void theAdminPortIsItsOwnListenerOnTheServersHostUnlessToldAndIsChecked() {
    String on = "admin: {enabled: true, token: admin-token-0123456789";

    GatewayConfig apart = ConfigLoader.parse("server: {host: 10.0.0.1}\n" + on + ", port: 9091}");
    GatewayConfig local = ConfigLoader.parse(on + ", port: 0, host: 127.0.0.1}");
    GatewayConfig shared = ConfigLoader.parse(on + "}");
    GatewayConfig fromEnv =
        ConfigLoader.load(
            dir.resolve("absent.yaml"),
            false,
            Map.of(
                "TG_ADMIN__ENABLED", "true",
                "TG_ADMIN__TOKEN", "admin-token-0123456789",
                "TG_ADMIN__PORT", "9091"));

    assertThat(apart.admin().apart()).isTrue();
    assertThat(apart.admin().port()).isEqualTo(9091);
    assertThat(apart.admin().host()).isEqualTo("10.0.0.1");
    assertThat(local.admin().port()).isZero();
    assertThat(local.admin().host()).isEqualTo("127.0.0.1");
    assertThat(shared.admin().apart()).isFalse();
    assertThat(shared.admin().port()).isNull();
    assertThat(ConfigLoader.parse("").admin().apart()).isFalse();
    assertThat(fromEnv.admin().port()).isEqualTo(9091);
    assertRefused(
        on + ", port: 8080}", "admin.port: another port than server.port (8080); leave admin.port");
    assertRefused(
        "server: {port: 9000}\n" + on + ", port: 9000}",
        "admin.port: another port than server.port (9000)");
    assertRefused(on + ", port: 65536}", "admin.port: expected an integer from 0 to 65535");
    assertRefused(on + ", port: -1}", "admin.port: expected an integer from 0 to 65535, got -1");
    assertRefused(on + ", port: admin}", "admin.port: expected an integer from 0 to 65535");
    assertRefused("admin: {port: 9091}", "admin.port: only with admin.enabled true");
    assertRefused(on + ", host: 127.0.0.1}", "admin.host: only with admin.port");
    assertRefused(on + ", port: 9091, host: \" \"}", "admin.host: a host name or address");
  }

  @Test
  void upstreamEngineTakesUrlsFromTheEnvironmentAsACommaList() {
    GatewayConfig config =
        ConfigLoader.load(
            dir.resolve("absent.yaml"),
            false,
            Map.of(
                "TG_ENGINE__TYPE", "upstream",
                "TG_ENGINE__UPSTREAM__URLS", "http://a:8080, https://b/altcraft",
                "TG_ENGINE__UPSTREAM__BREAKER__OPEN_MS", "2500"));

    assertThat(config.engine().type()).isEqualTo(EngineType.UPSTREAM);
    GatewayConfig.Upstream upstream = config.engine().upstream();
    assertThat(upstream.urls()).containsExactly("http://a:8080", "https://b/altcraft");
    assertThat(upstream.breaker().openMs()).isEqualTo(2500);
    assertThat(upstream.breaker().connectFailures()).isEqualTo(3);
    assertThat(upstream.responseTimeoutMs()).isEqualTo(30_000);
    assertThat(upstream.poolSize()).isEqualTo(64);
  }

  @Test
  void upstreamSettingsAreChecked() {
    assertRefused("engine: {type: upstream}", "engine.upstream.urls: at least one base URL");
    assertRefused(
        "engine: {upstream: {urls: [altcraft:8080]}}",
        "engine.upstream.urls[0]: an absolute http or https URL with a host, got \"altcraft:8080\"");
    assertRefused(
        "engine: {upstream: {urls: [ftp://altcraft]}}",
        "engine.upstream.urls[0]: an absolute http");
    assertRefused(
        "engine: {upstream: {urls: ['http://a/?x=1']}}",
        "engine.upstream.urls[0]: a base URL without user info, query or fragment");
    assertRefused(
        "engine: {upstream: {trust_store: /no/such/ca.pem}}",
        "engine.upstream.trust_store: a readable file");
    assertRefused(
        "engine: {upstream: {breaker: {failure_rate_percent: 0}}}",
        "engine.upstream.breaker.failure_rate_percent: expected an integer from 1 to 100");
    assertRefused(
        "engine: {upstream: {pool_idle_timeout_ms: 10}}",
        "engine.upstream.pool_idle_timeout_ms: expected an integer from 100");
  }

  @Test
  void ratePoliciesAreReadWithDefaultsAndChecked() {
    GatewayConfig config =
        ConfigLoader.parse(
            """
            redis: {endpoints: [redis://127.0.0.1:6379]}
            rate_limits:
              policies:
                - {name: per-token, key: token, limit: 100, period_ms: 1000}
                - {name: profiles, key: trigger, unit: profiles, limit: 5000, period_ms: 60000,
                   max_wait_ms: 250, backend: redis, on_store_failure: deny}
            """);

    assertThat(config.redis().commandTimeoutMs()).isEqualTo(250);
    assertThat(config.rateLimits().policies())
        .containsExactly(
            new GatewayConfig.Policy(
                "per-token",
                GatewayConfig.PolicyKey.TOKEN,
                GatewayConfig.PolicyUnit.REQUESTS,
                100,
                1000,
                0,
                GatewayConfig.PolicyBackend.LOCAL,
                GatewayConfig.StoreFailure.LOCAL),
            new GatewayConfig.Policy(
                "profiles",
                GatewayConfig.PolicyKey.TRIGGER,
                GatewayConfig.PolicyUnit.PROFILES,
                5000,
                60000,
                250,
                GatewayConfig.PolicyBackend.REDIS,
                GatewayConfig.StoreFailure.DENY));

    String policy = "rate_limits: {policies: [{name: p, key: token, period_ms: 1000%s}]}";
    assertRefused(
        policy.formatted(", limit: 1, backend: redis"), "policies[0].backend: redis needs");
    assertRefused(policy.formatted(", limit: 1, unit: bytes"), "policies[0].unit: expected one of");
    assertRefused(policy.formatted(", limit: 0"), "policies[0].limit: expected an integer");
    assertRefused(policy.formatted(""), "policies[0].limit: required");
    assertRefused(
        "rate_limits: {policies: [{name: p, limit: 1, period_ms: 1}]}",
        "rate_limits.policies[0].key: required, one of global, token");
    assertRefused(
        "rate_limits: {policies: [{name: \"a b\", key: token, limit: 1, period_ms: 1}]}",
        "rate_limits.policies[0].name: expected letters");
    assertRefused(
        "rate_limits: {policies: [{name: p, key: token, limit: 1, period_ms: 1},"
            + " {name: p, key: global, limit: 1, period_ms: 1}]}",
        "rate_limits.policies[1].name: \"p\" is used twice");
  }

  @Test
  void badEnvironmentValueNamesTheKey() throws IOException {
    Path file = write("");

    assertThatThrownBy(() -> ConfigLoader.load(file, true, Map.of("TG_SERVER__PORT", "x")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("server.port: expected an integer");
  }

  @Test
  void theRedisSectionIsReadWithDefaultsAndChecked() throws IOException {
    GatewayConfig.Redis none = ConfigLoader.parse("").redis();
    assertThat(none.configured()).isFalse();
    assertThat(none.commandTimeoutMs()).isEqualTo(250);
    assertThat(none.poolSize()).isEqualTo(1);
    assertThat(none.maxPendingCommands()).isEqualTo(4_096);
    assertThat(none.breaker()).isEqualTo(new GatewayConfig.Breaker(3, 50, 100, 20, 1_000, 3));

    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    GatewayConfig.Redis sentinel =
        ConfigLoader.load(
                write(
                    "redis: {type: sentinel, master_name: main, user: gw, command_timeout_ms: 80,"
                        + " endpoints: ['rediss://10.0.0.1:26379', 'rediss://10.0.0.2:26379'],"
                        + " trust_store: '"
                        + ca
                        + "', breaker: {window: 50}}"),
                true,
                Map.of("TG_REDIS__PASSWORD", "from-the-environment"))
            .redis();
    assertThat(sentinel.type()).isEqualTo(GatewayConfig.RedisType.SENTINEL);
    assertThat(sentinel.endpoints()).hasSize(2);
    assertThat(sentinel.tls()).isTrue();
    assertThat(sentinel.password()).isEqualTo("from-the-environment");
    assertThat(sentinel.toString()).doesNotContain("from-the-environment");
    assertThat(sentinel.commandTimeoutMs()).isEqualTo(80);
    assertThat(sentinel.breaker().window()).isEqualTo(50);
    assertThat(sentinel.breaker().minCalls()).isEqualTo(20);

    assertRefused(
        "rate_limits: {redis_url: 'redis://h:6379'}",
        "rate_limits.redis_url: moved to redis.endpoints");
    assertRefused(
        "rate_limits: {redis_timeout_ms: 100}",
        "rate_limits.redis_timeout_ms: moved to redis.command_timeout_ms");
    assertRefused("redis: {endpoints: ['http://h:6379']}", "redis.endpoints[0]: a redis://");
    assertRefused(
        "redis: {endpoints: ['redis://:secret@h:6379']}",
        "redis.endpoints[0]: a URL without user info (set redis.user and redis.password)");
    assertThatThrownBy(() -> ConfigLoader.parse("redis: {endpoints: ['redis://gw:s3cr3t@h:1']}"))
        .hasMessageNotContaining("s3cr3t");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    write(""), true, Map.of("TG_REDIS__PASSWORD", "[s3cr3t-with-a-bracket")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("TG_REDIS__PASSWORD: a value starting with [, { or \"")
        .hasMessageNotContaining("s3cr3t");
    assertThat(
            ConfigLoader.load(write(""), true, Map.of("TG_REDIS__PASSWORD", "\"[s3cr3t\""))
                .redis()
                .password())
        .isEqualTo("[s3cr3t");
    assertRefused(
        "redis: {type: cluster, endpoints: ['redis://a:1', 'rediss://b:1']}",
        "redis.endpoints[1]: the same scheme as endpoints[0]");
    assertRefused(
        "redis: {endpoints: ['redis://a:1', 'redis://b:1']}",
        "redis.endpoints: one URL for type standalone");
    assertRefused(
        "redis: {type: sentinel, endpoints: ['redis://a:26379']}",
        "redis.master_name: required with type sentinel");
    assertRefused(
        "redis: {type: cluster, master_name: m, endpoints: ['redis://a:1']}",
        "redis.master_name: only for type sentinel");
    assertRefused(
        "redis: {type: cluster, endpoints: ['redis://a:1/2']}",
        "redis.endpoints[0]: a URL whose path is at most a database number");
    assertRefused("redis: {user: gw}", "redis.user: needs redis.password");
    assertRefused("redis: {type: replica}", "redis.type: expected one of");
    assertRefused(
        "redis: {endpoints: ['redis://a:1'], trust_store: '" + ca + "'}",
        "redis.trust_store: only for rediss://");
    assertRefused("redis: {trust_store: /nowhere.pem}", "redis.trust_store: a readable file");
    assertRefused("redis: {command_timeout_ms: 0}", "redis.command_timeout_ms: expected");
    assertRefused("redis: {breaker: {window: 0}}", "redis.breaker.window: expected");
    assertRefused("redis: {url: x}", "redis.url: unknown key");
  }

  private void assertRefused(String yaml, String message) {
    assertThatThrownBy(() -> ConfigLoader.parse(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
