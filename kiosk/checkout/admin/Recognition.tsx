// Dish recognition on /admin: how many photos each dish has, and a button that
// takes three at the checkout station (hold the dish under the station camera).
import { useEffect, useState } from 'preact/hooks';
import type { DishMsg, StationStateMsg } from '../../../gateway/wire/canteen.ts';
import { useLang } from '../../i18n.ts';
import { call } from '../api.ts';

interface RecognitionInfo { available: boolean; enrolled: { dishId: string; count: number }[] }

export function useRecognition(): [RecognitionInfo | null, () => void] {
  const [info, setInfo] = useState<RecognitionInfo | null>(null);
  const reload = () => void call<RecognitionInfo>('GET', '/api/canteen/recognition').then(setInfo, () => setInfo(null));
  useEffect(reload, []);
  return [info, reload];
}

export function EnrolButton({ dish, info, onDone, onError }: { dish: DishMsg; info: RecognitionInfo; onDone: () => void; onError: (m: string) => void }) {
  const { t } = useLang();
  const [busy, setBusy] = useState(false);
  const count = info.enrolled.find((e) => e.dishId === dish.id)?.count ?? 0;
  const enrol = async () => {
    setBusy(true);
    try {
      const [station] = await call<StationStateMsg[]>('GET', '/api/canteen/stations');
      if (!station) throw new Error(t('rec.noStation'));
      await call('POST', `/api/canteen/dishes/${encodeURIComponent(dish.id)}/enrol`, { station: station.station, photos: 3 });
      onDone();
    } catch (err) {
      onError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span data-testid="enrol" data-dish={dish.id} data-photos={count}>
      <small class="co-muted">{t('rec.photos', { n: count })}</small>{' '}
      <button type="button" class="co-btn co-small" disabled={!info.available || busy} onClick={enrol}>
        {busy ? t('rec.taking') : t('rec.enrol')}
      </button>
    </span>
  );
}
