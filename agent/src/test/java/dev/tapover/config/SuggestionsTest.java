// Unit tests of the "did you mean" suggestion for unknown configuration keys.
package dev.tapover.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class SuggestionsTest {
    private static final List<String> POLICY = List.of("failback", "up-delay", "down-delay", "failback-delay");

    @Test
    void typosFindTheNearestKey() {
        assertEquals(Optional.of("failback"), Suggestions.nearest("failbak", POLICY));
        assertEquals(Optional.of("failback"), Suggestions.nearest("fialback", POLICY), "a transposition is one edit");
        assertEquals(Optional.of("down-delay"), Suggestions.nearest("downdelay", POLICY));
    }

    @Test
    void otherSpellingsFoldToTheSameKey() {
        assertEquals(Optional.of("up-delay"), Suggestions.nearest("up_delay", POLICY));
        assertEquals(Optional.of("failback-delay"), Suggestions.nearest("failbackDelay", POLICY));
        assertEquals(Optional.of("up-delay"), Suggestions.nearest("UP-DELAY", POLICY));
    }

    @Test
    void farKeysGetNoSuggestion() {
        assertEquals(Optional.empty(), Suggestions.nearest("colour", POLICY));
        assertEquals(Optional.empty(), Suggestions.nearest("x", List.of("groups")));
    }

    @Test
    void distanceCountsEdits() {
        assertEquals(0, Suggestions.distance("abc", "abc"));
        assertEquals(1, Suggestions.distance("abc", "abd"));
        assertEquals(1, Suggestions.distance("abc", "acb"));
        assertEquals(3, Suggestions.distance("", "abc"));
    }
}
