import { useEffect, useRef } from "preact/hooks";
import { distance, money, windowText } from "../ui/format";
import { href } from "../ui/router";
import type { Hit, SearchAnswer } from "./api";

export function attributeNames(attributes: Record<string, unknown>): string[] {
  const names: string[] = [];
  if (attributes.covered) names.push("Covered");
  if (attributes.ev_charger) names.push("EV charger");
  if (attributes.accessible) names.push("Accessible");
  if (typeof attributes.max_height_cm === "number") names.push(`Headroom ${attributes.max_height_cm} cm`);
  return names;
}

function ResultCard({ hit, answer, selected, searchParams, zone }: {
  hit: Hit; answer: SearchAnswer; selected: boolean; searchParams: string; zone: string;
}) {
  const card = useRef<HTMLElement>(null);
  useEffect(() => {
    if (selected) card.current?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }, [selected]);
  const detail = href(`/spaces/${encodeURIComponent(hit.space_id)}`, { search: searchParams });
  return (
    <article ref={card} class={`result${selected ? " result--selected" : ""}`} aria-labelledby={`hit-${hit.space_id}`}>
      <div class="result-main">
        <h3 id={`hit-${hit.space_id}`}><a href={detail}>{hit.title}</a></h3>
        <p class="muted">{hit.address} · {distance(hit.distance_m)} away</p>
        {attributeNames(hit.attributes).length > 0 && (
          <ul class="tags" aria-label="Features">{attributeNames(hit.attributes).map((a) => <li key={a}>{a}</li>)}</ul>
        )}
        {hit.timezone !== zone && <p class="muted">{windowText(answer.start, answer.end, hit.timezone)}</p>}
      </div>
      <p class="price">
        <strong>{money(hit.total_price_minor, hit.currency)}</strong>
        <span class="muted"> total · {money(hit.rate_minor, hit.currency)}/h</span>
      </p>
    </article>
  );
}

export function ResultList({ answer, selected, searchParams, zone }: {
  answer: SearchAnswer; selected: string | null; searchParams: string; zone: string;
}) {
  return (
    <div class="result-list">
      {answer.results.map((hit) => (
        <ResultCard key={hit.space_id} hit={hit} answer={answer} selected={hit.space_id === selected} searchParams={searchParams} zone={zone} />
      ))}
    </div>
  );
}
