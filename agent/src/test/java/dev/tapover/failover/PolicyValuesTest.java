// Tests for the policy's value types: failback policy parsing, reason wire names, config validation.
package dev.tapover.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyValuesTest {

    @ParameterizedTest
    @CsvSource({"always, ALWAYS", "ALWAYS, ALWAYS", "' better ', BETTER", "Never, NEVER"})
    void failbackPolicyParsesCaseInsensitively(String text, FailbackPolicy expected) {
        assertEquals(expected, FailbackPolicy.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sometimes", "failure", "always-better"})
    void failbackPolicyRejectsUnknownValuesNamingTheAcceptedOnes(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FailbackPolicy.parse(text));
        assertEquals("unknown failback policy \"" + text + "\": expected one of always, better, never",
                error.getMessage());
    }

    @Test
    void failbackPolicyRejectsMissingValue() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> FailbackPolicy.parse(null));
        assertTrue(error.getMessage().startsWith("failback policy is missing"), error.getMessage());
    }

    @Test
    void reasonWireNamesAreKebabCaseAndRoundTrip() {
        assertEquals("carrier-lost", Reason.CARRIER_LOST.wireName());
        assertEquals("no-usable-link", Reason.NO_USABLE_LINK.wireName());
        assertEquals("manual-target-failed", Reason.MANUAL_TARGET_FAILED.wireName());
        for (Reason reason : Reason.values()) {
            assertTrue(reason.wireName().matches("[a-z]+(-[a-z]+)*"), reason.wireName());
            assertEquals(reason, Reason.fromWireName(reason.wireName()));
        }
        assertThrows(IllegalArgumentException.class, () -> Reason.fromWireName("carrier_lost"));
    }

    @Test
    void reasonsCoverTheDocumentedVocabulary() {
        Set<String> names = Arrays.stream(Reason.values()).map(Reason::wireName).collect(Collectors.toSet());
        assertEquals(Set.of("initial", "carrier-lost", "admin-down", "removed", "primary-returned", "better-link",
                "manual", "manual-target-failed", "no-usable-link", "link-returned"), names);
    }

    @Test
    void linkStateWireNamesAndUsability() {
        assertEquals("going-up", LinkState.GOING_UP.wireName());
        assertEquals(Set.of(LinkState.UP, LinkState.GOING_DOWN),
                Arrays.stream(LinkState.values()).filter(LinkState::isUsable).collect(Collectors.toSet()));
    }

    @Test
    void configDefaultsAreNoDelaysAndFailbackAlways() {
        PolicyConfig config = PolicyConfig.defaults();
        assertEquals(0, config.upDelayNanos());
        assertEquals(0, config.downDelayNanos());
        assertEquals(0, config.failbackDelayNanos());
        assertEquals(FailbackPolicy.ALWAYS, config.failback());
    }

    @Test
    void configWithersChangeOneKnob() {
        PolicyConfig config = PolicyConfig.defaults()
                .withUpDelay(Duration.ofMillis(200))
                .withDownDelay(Duration.ofMillis(100))
                .withFailbackDelay(Duration.ofSeconds(5))
                .withFailback(FailbackPolicy.NEVER);
        assertEquals(200_000_000L, config.upDelayNanos());
        assertEquals(100_000_000L, config.downDelayNanos());
        assertEquals(5_000_000_000L, config.failbackDelayNanos());
        assertEquals(FailbackPolicy.NEVER, config.failback());
    }

    @Test
    void configRejectsNegativeDelayNamingTheKnob() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PolicyConfig.defaults().withDownDelay(Duration.ofMillis(-5)));
        assertEquals("down-delay must be between 0 ms and 3600000 ms, got -5 ms", error.getMessage());
    }

    @Test
    void configRejectsAbsurdlyLongDelay() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PolicyConfig.defaults().withFailbackDelay(Duration.ofDays(2)));
        assertTrue(error.getMessage().startsWith("failback-delay must be between"), error.getMessage());
    }

    @Test
    void configRejectsMissingDelayAndPolicy() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PolicyConfig.defaults().withUpDelay(null));
        assertTrue(error.getMessage().startsWith("up-delay is missing"), error.getMessage());
        assertThrows(NullPointerException.class, () -> PolicyConfig.defaults().withFailback(null));
    }
}
