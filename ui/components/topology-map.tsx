/**
 * The topology map (Cytoscape.js): sites as nodes (filled when online), site pairs as edges
 * coloured by path health. The canvas is for the eye; the same facts are in the table next
 * to it for keyboard and screen-reader users. Clicking a site opens it.
 */
import cytoscape from 'cytoscape'
import { useEffect, useRef } from 'preact/hooks'
import type { Topology } from '../api/topology'
import { navigate } from '../router'
import { cssColor, useTheme } from '../theme'

const HEALTH_VAR = { up: '--ok', degraded: '--warn', down: '--bad', stale: '--stale' } as const

/**
 * Cytoscape adds an inline <style> (`position: relative` for its container) unless an
 * element with this id is already in the document. The CSP (`style-src 'self'`, docs/security.md)
 * refuses inline styles and reports each refusal, so the rule lives in styles.css and this
 * marker tells Cytoscape not to try.
 */
const CYTOSCAPE_STYLESHEET_ID = '__________cytoscape_stylesheet'

function markCytoscapeStylesheet() {
  if (document.getElementById(CYTOSCAPE_STYLESHEET_ID)) return
  const marker = document.createElement('meta')
  marker.id = CYTOSCAPE_STYLESHEET_ID
  marker.name = 'cytoscape-stylesheet'
  marker.content = 'in styles.css'
  document.head.appendChild(marker)
}

export function TopologyMap({ topology }: { topology: Topology }) {
  const box = useRef<HTMLDivElement>(null)
  const [theme] = useTheme()

  useEffect(() => {
    if (!box.current) return
    const text = cssColor('--text')
    const bg = cssColor('--bg')
    markCytoscapeStylesheet()
    const cy = cytoscape({
      container: box.current,
      elements: [
        ...topology.nodes.map((s) => ({
          data: { id: s.id, label: s.name, online: s.status === 'online' ? 1 : 0, hub: s.role },
        })),
        ...topology.edges.map((e) => ({
          data: {
            id: e.id,
            source: e.source,
            target: e.target,
            color: cssColor(HEALTH_VAR[e.health]),
            dashed: e.health === 'down' || e.health === 'stale' ? 1 : 0,
            label: e.rttMs === null ? e.health : `${Math.round(e.rttMs)} ms`,
          },
        })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            label: 'data(label)',
            color: text,
            'font-size': 13,
            'text-valign': 'bottom',
            'text-margin-y': 6,
            'background-color': cssColor('--ok'),
            'border-width': 3,
            'border-color': cssColor('--ok'),
            width: 26,
            height: 26,
          },
        },
        {
          selector: 'node[online = 0]',
          style: { 'background-color': bg, 'border-color': cssColor('--bad') },
        },
        { selector: 'node[hub = "hub"]', style: { shape: 'diamond', width: 34, height: 34 } },
        {
          selector: 'edge',
          style: {
            width: 3,
            'line-color': 'data(color)',
            label: 'data(label)',
            'font-size': 11,
            color: text,
            'text-background-color': bg,
            'text-background-opacity': 1,
            'text-background-padding': '2px',
            'curve-style': 'straight',
          },
        },
        { selector: 'edge[dashed = 1]', style: { 'line-style': 'dashed' } },
      ],
      layout: { name: 'circle', padding: 40, avoidOverlap: true },
      wheelSensitivity: 0.3,
      autoungrabify: false,
    })
    cy.on('tap', 'node', (event) => navigate(`/sites/${event.target.id()}`))
    return () => cy.destroy()
  }, [topology, theme])

  return <div ref={box} class="topology" role="img" aria-label="Topology map of sites and paths" />
}
