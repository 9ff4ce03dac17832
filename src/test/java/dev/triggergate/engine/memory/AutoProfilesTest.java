package dev.triggergate.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.triggergate.TestGateway;
import dev.triggergate.http.Envelopes;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

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

  @Test
  void derivedIdsDoNotCollideOverManyKeys() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < 200_000; i++) {
      ids.add(Keys.autoId("email:user" + i + "@example.com"));
    }
    assertThat(ids).hasSize(200_000);
  }
}
