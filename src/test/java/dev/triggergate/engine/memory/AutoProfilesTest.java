package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.http.Envelopes;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code auto_profiles}: every key resolves to a stable id derived from it, in every instance. */
class AutoProfilesTest {
  private static final String BATCH =
      """
      {"token":"t","trigger_id":%d,"matching":"email_phone","data":[
        {"email":"Load.Test@example.com"},{"email":"load.test@example.com"},{"phone":"+1 555 0100"}]}
      """;

  @Test
  void sameKeyGivesSameIdAcrossGatewaysAndCaseOrFormatting() {
    List<String> first;
    List<String> second;
    try (TestGateway gateway = TestGateway.start("")) {
      HttpResponse<Buffer> response = gateway.postJson(BATCH.formatted(12345));
      assertThat(response.statusCode()).isEqualTo(200);
      first = Envelopes.profileIds(response);
      assertThat(gateway.journal().entries())
          .extracting(Journal.Launch::triggerId)
          .containsOnly(12345L);
    }
    try (TestGateway gateway = TestGateway.start("")) {
      second = Envelopes.profileIds(gateway.postJson(BATCH.formatted(1)));
    }

    assertThat(first).hasSize(2).allMatch(id -> id.matches("[0-9a-f]{24}"));
    assertThat(second).isEqualTo(first);
    assertThat(first.get(0)).isNotEqualTo(first.get(1));
  }

  @Test
  void loadedProfilesWinOverDerivedOnes() {
    String yaml = TestGateway.SAMPLE_ENGINE.replace("auto_profiles: false", "auto_profiles: true");
    try (TestGateway gateway = TestGateway.start(yaml)) {
      HttpResponse<Buffer> response =
          gateway.postJson(
              """
              {"token":"t","trigger_id":8,"data":[
                {"email":"anna@example.com"},{"email":"stranger@example.com"}]}
              """);

      List<String> ids = Envelopes.profileIds(response);
      assertThat(ids).hasSize(2);
      assertThat(ids.get(0)).isEqualTo("6606e08f10bcdd88297057a7");
      assertThat(ids.get(1)).matches("[0-9a-f]{24}").isNotEqualTo(ids.get(0));
    }
  }

  /**
   * An email JSON Schema's pattern refuses (ECMA-262: its $ is the end of the input, its \s holds
   * U+00A0) must not become a derived profile: once it did, as java.util.regex read the pattern.
   * The same batch with a plain email is launched, so the refusal is the pattern's alone. JSON and
   * XML (where character references carry the characters) go through the same check.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "application/json | a@b\\n",
        "application/json | a\\u00a0b@c",
        "application/xml | a@b&#10;",
        "application/xml | a&#xA0;b@c"
      })
  void emailsThePatternRefusesMakeNoProfile(String contentType, String email) {
    String batch =
        contentType.equals("application/xml")
            ? "<xml><token>t</token><trigger_id>1</trigger_id><data><email>%s</email></data></xml>"
            : "{\"token\":\"t\",\"trigger_id\":1,\"data\":[{\"email\":\"%s\"}]}";
    try (TestGateway gateway = TestGateway.start("")) {
      HttpResponse<Buffer> refused =
          gateway.post(contentType, Buffer.buffer(batch.formatted(email)));

      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(refused.getHeader("Content-Type")).isEqualTo("application/json; charset=utf-8");
      assertThat(Envelopes.errorCode(refused)).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getString("error_text")).isEqualTo("Invalid request");
      assertThat(Envelopes.errorDebug(refused))
          .isEqualTo("/data/0/email: does not match pattern ^[^@\\s]+@[^@\\s]+$");
      assertThat(gateway.journal().total()).isZero();

      HttpResponse<Buffer> launched =
          gateway.post(contentType, Buffer.buffer(batch.formatted("a@b")));
      assertThat(launched.statusCode()).isEqualTo(200);
      assertThat(Envelopes.profileIds(launched)).hasSize(1);
      assertThat(gateway.journal().total()).isEqualTo(1);
    }
  }

  @Test
  void derivedIdsDoNotCollideOverManyKeys() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < 200_000; i++) {
      ids.add(Keys.autoId("email:user" + i + "@example.com"));
    }
    assertThat(ids).hasSize(200_000);
  }
}
