package dev.triggergate.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Holds LinearPattern to a real ECMAScript engine's verdicts on random strings near each pattern.
 */
class LinearPatternTest {
  private static final EcmaScript ECMA = new EcmaScript();

  private static final String ALPHABET =
      "\r\n@ \t\u000B\u0085\u00a0\u1680\u2028\u2029\u3000\ufeff\u0663\uff13\u00e9"
          + "abcdxZ09fg+().-;,:tse64_\uD800";

  @ParameterizedTest
  @ValueSource(
      strings = {
        "^[^@\\s]+@[^@\\s]+$",
        "^[0-9a-f]{24}$",
        "^data:[^;,]+;base64,",
        "^[a-z]+[0-9]*$",
        "^a?b*c+$",
        "^\\d{2,4}-\\w+$",
        "^[ab]*[cd]{2}$",
        "^[-a]+$",
        "^[a-]+$",
        "^[^a]*$",
        "^[^\n]+$",
        "^[ab\r]*$",
        "^\\W*\\w+$",
        "^\\s+$",
        "^\\S+$",
        "^\u00e9+\\s?$",
        "^[\u00a0-\u00ff]{2}x$",
        "^$",
        "^"
      })
  void agreesWithEcmaScript(String source) {
    LinearPattern linear = LinearPattern.of(EcmaPattern.parse(source));
    assertThat(linear).as("one-pass form of %s", source).isNotNull();
    Random random = new Random(source.hashCode());
    for (int i = 0; i < 10_000; i++) {
      String s = randomString(random, i);
      assertThat(linear.find(s))
          .as("%s on \"%s\"", source, EcmaPatternTest.escape(s))
          .isEqualTo(ECMA.test(source, s));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "^\\+?[ ().-]*(?:[0-9][ ().-]*){5,20}$", // a group
        "^\\S+@\\S+$", // \S+ overlaps the @ after it: needs backtracking
        "^[a-z]*[a-c]$", // the set before overlaps the one after
        "[a-z]+", // not anchored: a search from every position
        "^a+?$", // lazy
        "^a|b$", // alternatives
        "^(?=a)a$" // a lookahead
      })
  void leavesOtherPatternsToJavaRegex(String source) {
    assertThat(LinearPattern.of(EcmaPattern.parse(source))).isNull();
  }

  private static String randomString(Random random, int i) {
    StringBuilder s = new StringBuilder();
    int length = random.nextInt(i % 7 == 0 ? 30 : 8);
    for (int k = 0; k < length; k++) {
      if (random.nextInt(40) == 0) {
        s.append("\uD83D\uDE00");
      } else {
        s.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
    }
    String value = i % 3 == 0 ? s.toString().replaceAll("[^a-f0-9@.]", "") : s.toString();
    return i % 5 == 0 ? value + (random.nextBoolean() ? "\r\n" : "\n") : value;
  }
}
