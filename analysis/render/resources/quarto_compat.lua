--[[
quarto_compat.lua -- the small subset of Quarto that the manuscript uses, for
plain Pandoc (HTML, DOCX and Typst writers). Used by analysis/render/engine.py
only when the `quarto` command is not available.

  * numbers figures with a `fig-` id and tables with a `tbl-` id in document
    order and prefixes their captions with "Figure N: " / "Table N: ";
  * turns `@fig-id` / `@tbl-id` citations into "Figure N" / "Table N" links
    (`[-@fig-id]` gives the bare number) and fails on an unknown id;
  * moves Quarto's `fig-alt` attribute to the image's alt text;
  * renders `::: {.callout-note}` style blocks as a titled box (in Typst, the
    shared typst_callouts.lua has already done so: run it first);
  * reduces Quarto author maps (`author: [{name: ...}]`) to their names.

Run it before --citeproc so that cross-references never reach citeproc.
Errors start with "quarto_compat:" so the caller can report them cleanly.
]]

local LABELS = { fig = "Figure", tbl = "Table" }
-- Quarto cross-reference types this filter does not implement.
local UNSUPPORTED = { sec = true, eq = true, lst = true, thm = true, lem = true }
local CALLOUT_TITLES = {
  note = "Note", warning = "Warning", tip = "Tip",
  important = "Important", caution = "Caution",
}

local numbers = {}   -- id -> number
local counters = { fig = 0, tbl = 0 }

local function fail(msg)
  error("quarto_compat: " .. msg, 0)
end

local function prefix_of(id)
  return id:match("^(%a+)%-")
end

local function is_typst()
  return FORMAT:match("typst") ~= nil
end

-- Prepend "Figure N: " to the first Plain/Para block of a caption.
local function prefix_caption(caption, text)
  local blocks = caption.long
  if #blocks == 0 then
    blocks:insert(pandoc.Plain({}))
  end
  local first = blocks[1]
  local label = pandoc.Inlines({ pandoc.Str(text) })
  if #first.content > 0 then
    label:insert(pandoc.Str(":"))
    label:insert(pandoc.Space())
  end
  first.content = label .. first.content
  caption.long = blocks
  return caption
end

local function number_element(el, kind)
  local id = el.identifier
  if id == "" or prefix_of(id) ~= kind then
    return nil
  end
  if numbers[id] then
    fail("duplicate cross-reference id #" .. id)
  end
  counters[kind] = counters[kind] + 1
  numbers[id] = counters[kind]
  el.caption = prefix_caption(el.caption, LABELS[kind] .. " " .. counters[kind])
  return el
end

local function crossref(cite)
  local out = pandoc.Inlines({})
  for i, c in ipairs(cite.citations) do
    local kind = prefix_of(c.id)
    if not LABELS[kind] then
      fail("cannot mix cross-references and citations in one bracket: @" .. c.id)
    end
    local n = numbers[c.id]
    if not n then
      fail("unresolved cross-reference @" .. c.id .. " (no element with id #" .. c.id .. ")")
    end
    if i > 1 then
      out:insert(pandoc.Str(","))
      out:insert(pandoc.Space())
    end
    if #c.prefix > 0 then
      out:extend(c.prefix)
      out:insert(pandoc.Space())
    end
    local text = tostring(n)
    if c.mode ~= "SuppressAuthor" then
      text = LABELS[kind] .. " " .. text
    end
    out:insert(pandoc.Link(pandoc.Inlines({ pandoc.Str(text) }), "#" .. c.id))
    if #c.suffix > 0 then
      out:extend(c.suffix)
    end
  end
  return out
end

local function Cite(cite)
  local any_xref = false
  for _, c in ipairs(cite.citations) do
    local kind = prefix_of(c.id)
    if LABELS[kind] then
      any_xref = true
    elseif UNSUPPORTED[kind] then
      fail("cross-reference type '" .. kind .. "-' is not supported by the fallback: @" .. c.id)
    end
  end
  if any_xref then
    return crossref(cite)
  end
  return nil
end

local function typst_string(s)
  return '"' .. s:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function Image(img)
  local alt = img.attributes["fig-alt"]
  if not alt then
    return nil
  end
  img.attributes["fig-alt"] = nil
  img.caption = pandoc.Inlines({ pandoc.Str(alt) })
  -- Pandoc's Typst writer drops alt text; write the call ourselves (PDF accessibility).
  if is_typst() and not img.attributes.width and not img.attributes.height then
    return pandoc.RawInline("typst", "#image(" .. typst_string(img.src)
      .. ", alt: " .. typst_string(alt) .. ")")
  end
  return img
end

local function callout(div)
  local kind
  for _, class in ipairs(div.classes) do
    kind = kind or class:match("^callout%-(%a+)$")
  end
  if not kind then
    return nil
  end
  if not CALLOUT_TITLES[kind] then
    fail("unknown callout type .callout-" .. kind)
  end
  local content = div.content:clone()
  local title = div.attributes.title and pandoc.Inlines({ pandoc.Str(div.attributes.title) })
  if not title and #content > 0 and content[1].t == "Header" then
    title = content[1].content
    content:remove(1)
  end
  title = title or pandoc.Inlines({ pandoc.Str(CALLOUT_TITLES[kind]) })

  local body = pandoc.Blocks({
    pandoc.Div(pandoc.Plain({ pandoc.Strong(title) }), pandoc.Attr("", { "callout-title" })),
    pandoc.Div(content, pandoc.Attr("", { "callout-body" })),
  })
  return pandoc.Div(body, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }))
end

-- Quarto authors may be maps (`- name: ...`); Pandoc's templates want names.
local function author_names(meta)
  local authors = meta.author
  if authors == nil then
    return
  end
  if pandoc.utils.type(authors) ~= "List" then
    authors = pandoc.List({ authors })
  end
  meta.author = authors:map(function(a)
    if pandoc.utils.type(a) == "table" and a.name then
      return a.name
    end
    return a
  end)
end

function Pandoc(doc)
  author_names(doc.meta)
  -- Pass 1: number figures and tables in document order.
  doc = doc:walk({
    traverse = "topdown",
    Figure = function(el) return number_element(el, "fig") end,
    Table = function(el) return number_element(el, "tbl") end,
  })
  -- Pass 2: resolve cross-references, alt text and callouts.
  return doc:walk({ Cite = Cite, Image = Image, Div = callout })
end
