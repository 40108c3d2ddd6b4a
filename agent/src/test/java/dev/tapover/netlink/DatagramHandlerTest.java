// The monitor's receive path on bad input: truncated and unknown messages are skipped, never thrown.
package dev.tapover.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DatagramHandlerTest {
    private final LinkTable table = new LinkTable();
    private final DatagramHandler handler = new DatagramHandler(table);
    private final List<LinkEvent> events = new ArrayList<>();

    private void feed(String fixture) {
        for (byte[] d : Fixtures.datagrams(fixture)) {
            ByteBuffer buf = Fixtures.direct(d);
            handler.handle(buf, d.length, 0, events);
        }
    }

    @Test
    void truncatedMessagesAreCountedAndTheNextDatagramStillWorks() {
        feed("link-dump.hex");
        events.clear();
        feed("truncated.hex");
        assertEquals(2, handler.malformed());
        assertEquals(List.of(), events);
        feed("veth-carrier.hex");
        assertEquals(6, events.size(), Events.show(events).toString());
        assertEquals(0, handler.unexpected());
    }

    @Test
    void unknownAttributesAndMessageTypesAreSkipped() {
        feed("link-dump.hex");
        events.clear();
        feed("unknown-attributes.hex");
        assertEquals(List.of("admin tovfx1 down NETLINK", "carrier tovfx1 down NETLINK"), Events.show(events));
        assertEquals(0, handler.malformed());
        assertEquals(4 + 3, handler.messages(), "3 dump messages + DONE, then 1 + 2 messages");
    }

    @Test
    void dumpAnswersOnTheEventPathAreHarmless() {
        feed("address-dump.hex");
        assertEquals(4, events.size());
        assertEquals(0, handler.malformed());
    }
}
