import type { DishMsg } from '../../gateway/wire/canteen.ts';
import { photoUrl } from './api.ts';

/** The dish photo, or its first character on a tile when it has none. */
export function DishThumb({ dish, name, class: cls }: { dish: DishMsg | undefined; name: string | null | undefined; class: string }) {
  if (dish?.photo) return <img class={cls} src={photoUrl(dish.photo)} alt="" loading="lazy" />;
  return (
    <span class={`${cls} co-thumb-none`} aria-hidden="true">
      {(name ?? '·').slice(0, 1)}
    </span>
  );
}
