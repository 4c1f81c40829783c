// The canteen's REST calls from the pages.
import type { CanteenCatalogMsg, SaleMsg, StationStateMsg } from '../../gateway/wire/canteen.ts';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function call<R>(method: string, url: string, body?: unknown, type = 'application/json'): Promise<R> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': type },
    body: body === undefined ? undefined : body instanceof Blob || typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw Object.assign(new ApiError(res.status, (json as { error?: string } | undefined)?.error ?? res.statusText), { details: json });
  return json as R;
}

/** The catalog, or null when this gateway has no canteen module. */
export async function fetchCatalog(): Promise<CanteenCatalogMsg | null> {
  try {
    return await call<CanteenCatalogMsg>('GET', '/api/canteen/catalog');
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

const station = (id: string) => `/api/canteen/stations/${encodeURIComponent(id)}`;

export const stationApi = {
  state: (id: string) => call<StationStateMsg>('GET', station(id)),
  select: (id: string, dishId: string) => call<StationStateMsg>('POST', `${station(id)}/select`, { dishId }),
  tray: (id: string, trayId: string) => call<StationStateMsg>('POST', `${station(id)}/tray`, { trayId }),
  confirm: (id: string, lineId: string) => call<SaleMsg>('POST', `${station(id)}/confirm`, { lineId }),
  cancel: (id: string) => call<StationStateMsg>('POST', `${station(id)}/cancel`, {}),
};

export const photoUrl = (photo: string) => `/api/canteen/photos/${encodeURIComponent(photo)}`;
