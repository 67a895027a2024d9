# Bring a service to its state. Input: name, state (running|stopped), restart (a running service
# whose configuration changed starts again so it picks the change up).
$name = [string]$in.name
if ($in.state -eq 'running') {
  if ($in.restart) {
    Restart-Service -Name $name -Force
  } else {
    Start-Service -Name $name
  }
} else {
  Stop-Service -Name $name -Force
}
return @{ status = [string](Get-Service -Name $name).Status }
