-- Typst callouts for both engines: turn ::: {.callout-*} divs into a plain Typst
-- block. Quarto runs it at pre-ast (_quarto.yml), before its own callout code, so
-- Quarto 1.7 emits no @preview/fontawesome import, which it would download at render
-- time; the fallback runs it before quarto_compat.lua. The first heading is the title;
-- the colours are the HTML callouts' (engine.py HTML_STYLE). Other formats: no-op.
local TITLES = { note = "Note", warning = "Warning", tip = "Tip",
                 important = "Important", caution = "Caution" }
local COLOURS = { note = { "#0072B2", "#EAF3FA" }, warning = { "#E69F00", "#FDF5E6" },
                  tip = { "#009E73", "#E8F6F1" }, important = { "#CC79A7", "#FAEFF5" },
                  caution = { "#D55E00", "#FBEDE5" } }  -- { border, fill }
if not FORMAT:match("typst") then return {} end

function Div(div)
  local kind
  for _, class in ipairs(div.classes) do kind = kind or class:match("^callout%-(%a+)$") end
  if not kind or not TITLES[kind] then return nil end
  local content = div.content:clone()
  local title
  if div.attributes.title then
    title = pandoc.Inlines({ pandoc.Str(div.attributes.title) })
  elseif #content > 0 and content[1].t == "Header" then
    title = content[1].content
    content:remove(1)
  else
    title = pandoc.Inlines({ pandoc.Str(TITLES[kind]) })
  end
  local c = COLOURS[kind]
  local blocks = pandoc.Blocks({ pandoc.RawBlock("typst", string.format(
    '#block(width: 100%%, breakable: true, inset: 8pt, radius: 2pt, '
      .. 'fill: rgb("%s"), stroke: (left: 3pt + rgb("%s")))[', c[2], c[1])) })
  blocks:insert(pandoc.Para({ pandoc.Strong(title) }))
  blocks:extend(content)
  blocks:insert(pandoc.RawBlock("typst", "]"))
  return blocks
end
