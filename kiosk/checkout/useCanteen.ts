// The checkout station's live state and the dish catalog: fetched on every
// (re)connect, then kept current by `station:state` and `canteen:catalog`
// (the page's socket handlers call `apply` and `catalogChanged`).
import { useEffect, useState } from 'preact/hooks';
import type { CanteenCatalogMsg, CatalogChangedMsg, DishMsg, StationInfoMsg, StationStateMsg } from '../../gateway/wire/canteen.ts';
import type { Conn } from '../gateway.ts';
import { fetchCatalog, stationApi } from './api.ts';

export interface Canteen {
  /** undefined while loading; null when the gateway has no canteen module */
  catalog: CanteenCatalogMsg | null | undefined;
  station: StationInfoMsg | undefined;
  state: StationStateMsg | null;
  apply(s: StationStateMsg): void;
  dish(id: string | null | undefined): DishMsg | undefined;
  /** the dishes offered now: today's menu for this meal, else every active dish */
  offered: DishMsg[];
  catalogChanged(m: CatalogChangedMsg): void;
}

export function useCanteen(conn: Conn, wanted: { station: string | null; scale: string | null }): Canteen {
  const [catalog, setCatalog] = useState<CanteenCatalogMsg | null | undefined>(undefined);
  const [state, setState] = useState<StationStateMsg | null>(null);
  const [catalogVersion, setCatalogVersion] = useState(0);
  const stations = catalog?.stations ?? [];
  const station = stations.find((s) => s.id === wanted.station) ?? stations.find((s) => s.scale === wanted.scale) ?? (wanted.station ? undefined : stations[0]);

  const apply = (s: StationStateMsg) => setState((cur) => (s.station !== station?.id || (cur && cur.station === s.station && s.seq < cur.seq) ? cur : s));

  useEffect(() => {
    if (conn.state !== 'connected') return;
    let live = true;
    fetchCatalog().then((c) => live && setCatalog(c), () => {});
    return () => {
      live = false;
    };
  }, [conn.state, conn.since, catalogVersion]);

  useEffect(() => {
    if (conn.state !== 'connected' || !station) return;
    let live = true;
    // A restarted gateway counts from 1 again: forget the old sequence.
    setState(null);
    stationApi.state(station.id).then((s) => live && apply(s), () => {});
    return () => {
      live = false;
    };
  }, [conn.state, conn.since, station?.id]);

  const dishes = catalog?.dishes ?? [];
  const menu = catalog?.menu.dishIds;
  const active = dishes.filter((d) => d.active);
  const offered = menu ? menu.map((id) => active.find((d) => d.id === id)).filter((d): d is DishMsg => !!d) : active;

  return {
    catalog,
    station,
    state,
    apply,
    dish: (id) => (id ? dishes.find((d) => d.id === id) : undefined),
    offered,
    catalogChanged: (m) => setCatalogVersion(m.version),
  };
}
