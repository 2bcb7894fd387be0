-- DOCX alt text for both engines: Pandoc's DOCX writer ignores the fig-alt attribute
-- (Quarto 1.7 leaves it there) and would write the caption or nothing; make it the
-- image's alt text. Quarto runs it at post-render (_quarto.yml); the fallback runs it
-- before quarto_compat.lua.
function Image(img)
  local alt = img.attributes["fig-alt"]
  if not alt then return nil end
  img.attributes["fig-alt"] = nil
  img.caption = pandoc.Inlines({ pandoc.Str(alt) })
  return img
end
