// The monitor's known state (links by ifindex, addresses, watched names) and the diff that turns input into events.
package dev.tapover.netlink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import dev.tapover.netlink.LinkEvent.AddressAdded;
import dev.tapover.netlink.LinkEvent.AddressRemoved;
import dev.tapover.netlink.LinkEvent.AdminChanged;
import dev.tapover.netlink.LinkEvent.CarrierChanged;
import dev.tapover.netlink.LinkEvent.LinkAdded;
import dev.tapover.netlink.LinkEvent.LinkRemoved;
import dev.tapover.netlink.LinkEvent.LinkRenamed;
import dev.tapover.netlink.LinkEvent.MacChanged;
import dev.tapover.netlink.LinkEvent.NotifyPeersRequested;
import dev.tapover.netlink.LinkEvent.Source;

/**
 * Pure state, no I/O, no clock, no threads: every input (a decoded message, a dump, a carrier reading)
 * is diffed against what is known and only real transitions become events, so duplicated or replayed
 * kernel messages produce nothing. Not thread-safe; the monitor guards it.
 *
 * <p>Carrier has two sources. A sysfs reading that differs from the known carrier is reported at once
 * (source SYSFS_POLL); the netlink message that later says the same is a confirmation, not an event. If
 * a netlink message contradicts a carrier the poll set and netlink has not yet confirmed, the optional
 * {@link CarrierProbe} is asked: when it still agrees with the poll, the message was older than the
 * reading and its carrier bit is ignored (counted in {@link #staleCarrierMessages()}).
 */
public final class LinkTable {
    private static final List<LinkEvent> NONE = List.of();

    private static final class Entry {
        LinkInfo link;
        Source carrierSource;
        long carrierSince;
        /** the carrier was last set by the poll and netlink has not said the same yet */
        boolean pollAhead;

        Entry(LinkInfo link, Source source, long now) {
            this.link = link;
            this.carrierSource = source;
            this.carrierSince = now;
        }
    }

    private final Map<Integer, Entry> links = new LinkedHashMap<>();
    private final Map<IfAddress.Key, IfAddress> addresses = new LinkedHashMap<>();
    private final Set<String> watched = new LinkedHashSet<>();
    private final CarrierProbe probe;
    private long staleCarrierMessages;

    /** A table without the carrier cross-check (netlink only, or tests). */
    public LinkTable() {
        this(null);
    }

    /** @param probe asked only to settle a netlink/poll disagreement on a watched link; null for none */
    public LinkTable(CarrierProbe probe) {
        this.probe = probe;
    }

    // ---- inputs ------------------------------------------------------------------------------------------

    /** Applies an RTM_NEWLINK / RTM_DELLINK. */
    public List<LinkEvent> apply(LinkMessage m, Source source, long now) {
        if (m.family() != Rtnl.AF_UNSPEC) {
            return NONE; // AF_BRIDGE port messages share RTNLGRP_LINK
        }
        List<LinkEvent> out = new ArrayList<>(2);
        if (m.deleted()) {
            Entry e = links.get(m.link().ifindex());
            if (e != null) {
                remove(e, source, now, out);
            }
        } else {
            update(m.link(), source, now, out);
        }
        if (m.event() == Rtnl.IFLA_EVENT_NOTIFY_PEERS && links.containsKey(m.link().ifindex())) {
            out.add(new NotifyPeersRequested(now, source, m.link().ifindex(), nameOf(m.link().ifindex())));
        }
        return out.isEmpty() ? NONE : out;
    }

    /** Applies an RTM_NEWADDR / RTM_DELADDR. */
    public List<LinkEvent> apply(AddressMessage m, Source source, long now) {
        IfAddress a = m.address();
        if (m.deleted()) {
            IfAddress old = addresses.remove(a.key());
            return old == null ? NONE : List.of(new AddressRemoved(now, source, a.ifindex(), nameOf(a.ifindex()), old));
        }
        IfAddress old = addresses.put(a.key(), a);
        return old != null ? NONE : List.of(new AddressAdded(now, source, a.ifindex(), nameOf(a.ifindex()), a));
    }

    /** Applies one read of a link's sysfs carrier (ABSENT and UNREADABLE change nothing: netlink decides). */
    public List<LinkEvent> apply(int ifindex, CarrierProbe.Reading reading, long now) {
        Entry e = links.get(ifindex);
        if (e == null || (reading != CarrierProbe.Reading.UP && reading != CarrierProbe.Reading.DOWN)) {
            return NONE;
        }
        boolean up = reading == CarrierProbe.Reading.UP;
        if (e.link.carrier() == up) {
            return NONE;
        }
        e.link = e.link.withCarrier(up);
        e.carrierSource = Source.SYSFS_POLL;
        e.carrierSince = now;
        e.pollAhead = true;
        return List.of(new CarrierChanged(now, Source.SYSFS_POLL, ifindex, e.link.name(), up));
    }

    /**
     * Replaces the state with a full dump, reporting every difference (source DUMP): at start, and after
     * an overrun, where it recovers whatever transitions the lost messages carried.
     */
    public List<LinkEvent> resync(Collection<LinkInfo> dumpedLinks, Collection<IfAddress> dumpedAddresses,
            long now) {
        List<LinkEvent> out = new ArrayList<>();
        Set<Integer> present = new HashSet<>();
        for (LinkInfo l : dumpedLinks) {
            present.add(l.ifindex());
        }
        List<Entry> gone = new ArrayList<>();
        for (Entry e : links.values()) {
            if (!present.contains(e.link.ifindex())) {
                gone.add(e);
            }
        }
        for (Entry e : gone) {
            remove(e, Source.DUMP, now, out);
        }
        Map<IfAddress.Key, IfAddress> fresh = new LinkedHashMap<>();
        for (IfAddress a : dumpedAddresses) {
            fresh.put(a.key(), a);
        }
        for (Iterator<IfAddress> it = addresses.values().iterator(); it.hasNext();) {
            IfAddress a = it.next();
            if (!fresh.containsKey(a.key())) {
                it.remove();
                out.add(new AddressRemoved(now, Source.DUMP, a.ifindex(), nameOf(a.ifindex()), a));
            }
        }
        for (LinkInfo l : dumpedLinks) {
            update(l, Source.DUMP, now, out);
        }
        for (IfAddress a : fresh.values()) {
            if (addresses.put(a.key(), a) == null) {
                out.add(new AddressAdded(now, Source.DUMP, a.ifindex(), nameOf(a.ifindex()), a));
            }
        }
        return out;
    }

    private void update(LinkInfo n, Source source, long now, List<LinkEvent> out) {
        int index = n.ifindex();
        Entry e = links.get(index);
        if (e == null) {
            links.put(index, new Entry(n, source, now));
            out.add(new LinkAdded(now, source, index, n.name(), n));
            return;
        }
        LinkInfo o = e.link;
        if (!Objects.equals(o.name(), n.name())) {
            out.add(new LinkRenamed(now, source, index, n.name(), o.name()));
            if (watched.remove(o.name())) {
                watched.add(n.name()); // a watch follows its link through a rename
            }
        }
        if (o.adminUp() != n.adminUp()) {
            out.add(new AdminChanged(now, source, index, n.name(), n.adminUp()));
        }
        if (o.carrier() != n.carrier() && e.pollAhead && probe != null && watched.contains(n.name())) {
            CarrierProbe.Reading r = probe.read(n.name());
            if (r == (o.carrier() ? CarrierProbe.Reading.UP : CarrierProbe.Reading.DOWN)) {
                staleCarrierMessages++;
                n = n.withCarrier(o.carrier()); // older than the poll's reading: keep the polled carrier
            }
        }
        if (o.carrier() != n.carrier()) {
            out.add(new CarrierChanged(now, source, index, n.name(), n.carrier()));
            e.carrierSource = source;
            e.carrierSince = now;
            e.pollAhead = false;
        } else {
            e.pollAhead = false; // netlink (or a dump) confirmed the polled carrier
        }
        if (o.address() != null && n.address() != null && !o.address().equals(n.address())) {
            out.add(new MacChanged(now, source, index, n.name(), o.address(), n.address()));
        }
        e.link = n;
    }

    private void remove(Entry e, Source source, long now, List<LinkEvent> out) {
        int index = e.link.ifindex();
        for (Iterator<IfAddress> it = addresses.values().iterator(); it.hasNext();) {
            IfAddress a = it.next();
            if (a.ifindex() == index) {
                it.remove();
                out.add(new AddressRemoved(now, source, index, e.link.name(), a));
            }
        }
        links.remove(index);
        out.add(new LinkRemoved(now, source, index, e.link.name(), e.link));
    }

    // ---- watches -----------------------------------------------------------------------------------------

    /** Polls the carrier of the link with this name (now or when it appears); follows it through renames. */
    public void watch(String ifname) {
        watched.add(Objects.requireNonNull(ifname, "ifname"));
    }

    public void unwatch(String ifname) {
        watched.remove(ifname);
    }

    public Set<String> watchedNames() {
        return Set.copyOf(watched);
    }

    /** The known links whose carrier should be polled now. */
    public List<LinkInfo> watchedLinks() {
        if (watched.isEmpty()) {
            return List.of();
        }
        List<LinkInfo> out = new ArrayList<>(watched.size());
        for (Entry e : links.values()) {
            if (watched.contains(e.link.name())) {
                out.add(e.link);
            }
        }
        return out;
    }

    // ---- queries -----------------------------------------------------------------------------------------

    public LinkInfo link(int ifindex) {
        Entry e = links.get(ifindex);
        return e == null ? null : e.link;
    }

    /** The link with this name, or null. */
    public LinkInfo link(String name) {
        for (Entry e : links.values()) {
            if (e.link.name().equals(name)) {
                return e.link;
            }
        }
        return null;
    }

    /** Which source set the link's current carrier value, or null for an unknown link. */
    public Source carrierSource(int ifindex) {
        Entry e = links.get(ifindex);
        return e == null ? null : e.carrierSource;
    }

    /** When the link's current carrier value was first seen (the clock the caller passes in). */
    public long carrierSince(int ifindex) {
        Entry e = links.get(ifindex);
        return e == null ? -1 : e.carrierSince;
    }

    /** Links by ifindex, as an immutable copy. */
    public Map<Integer, LinkInfo> links() {
        Map<Integer, LinkInfo> out = new LinkedHashMap<>();
        for (Entry e : links.values()) {
            out.put(e.link.ifindex(), e.link);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Every known address, as an immutable copy. */
    public List<IfAddress> addresses() {
        return List.copyOf(addresses.values());
    }

    /** Netlink messages whose carrier bit was older than a sysfs reading and therefore ignored. */
    public long staleCarrierMessages() {
        return staleCarrierMessages;
    }

    private String nameOf(int ifindex) {
        Entry e = links.get(ifindex);
        return e == null ? null : e.link.name();
    }
}
